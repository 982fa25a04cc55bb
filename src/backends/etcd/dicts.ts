/**
 * EtcdDicts: the dict contract on etcd. One key per entry, version = the entry's mod revision
 * (etcd's global revision), each mutation one transaction (dict-commit.ts) that also rewrites the
 * dict's version marker, so `version()` is the revision of the dict's last mutation and a watch
 * can tell our deletes from lease expiries. TTLs go on shared bucket leases (ttl-buckets.ts).
 *
 * Writes whose fate is unknown after a failure (a member died mid-call) are not sent again: they
 * fail with BackendUnavailableError and the caller decides. Only requests that certainly never
 * reached etcd are retried.
 *
 * How it fails: VersionConflictError, StaleFenceError, TypeMismatchError as the contract says;
 * BackendUnavailableError when etcd cannot answer within the client's timeout;
 * PayloadTooLargeError when a transaction exceeds etcd's request size (1.5 MiB by default).
 */
import type { ListFilter } from '../../list-filter.js';
import type * as C from '../../shared-state/backend.js';
import { decodeCursor, encodeCursor } from '../common/cursor.js';
import { incremented, jsonKind, notANumberError } from '../common/incr.js';
import type { EtcdClient } from './client.js';
import { batchDict } from './dict-batch.js';
import { type CommitSpec, commitDict, conflictError, contentionPause } from './dict-commit.js';
import { listDicts } from './dict-names.js';
import { historyOf, watchDict } from './dict-watch.js';
import { prefixEnd } from './keys.js';
import { decodeStored, encodeStored } from './stored.js';
import { TTL_SLACK_MS, TtlBuckets } from './ttl-buckets.js';
import { createIs, del, get, kvsOf, put, putKeepLease, range, revisionOf, Txn } from './txn.js';

/** EtcdDicts is one client's view of the dicts of an etcd store. */
export class EtcdDicts implements C.DictBackend {
  readonly capabilities: C.DictCapabilities;
  readonly #client: EtcdClient;
  readonly #buckets: TtlBuckets;
  readonly #watches = new Set<AbortController>();

  /** @param minTtlMs etcd's minimum lease TTL, as measured when the backend was opened. */
  constructor(client: EtcdClient, minTtlMs: number) {
    this.#client = client;
    this.#buckets = new TtlBuckets(client, minTtlMs);
    this.capabilities = Object.freeze({
      ownershipGuard: true,
      fenceIssuedCheck: true,
      ttlGranularityMs: minTtlMs + TTL_SLACK_MS,
    });
  }

  async get(dict: string, key: string): Promise<C.StoredEntry | undefined> {
    const res = await this.#client.range('dict get', { key: this.#client.keys.entryKey(dict, key) });
    const kv = res.kvs[0];
    return kv && decodeStored(kv);
  }

  set(dict: string, key: string, value: string, options: C.SetOptions): Promise<number> {
    return this.#buckets.withLease([options.ttlMs], async ([lease]) => {
      const r = await this.#commit({
        dict,
        checks: options.ifVersion === undefined ? [] : [{ key, version: options.ifVersion }],
        writes: [put(this.#entry(dict, key), encodeStored(value, lease?.expiresAt), lease?.leaseId)],
        bump: 'always',
        fence: options.fence,
        what: 'dict set',
      });
      if (!r.ok) throw conflictError(r.conflict);
      return r.revision;
    });
  }

  setIfAbsent(
    dict: string,
    key: string,
    value: string,
    options: C.SetIfAbsentOptions,
  ): Promise<C.SetIfAbsentResult> {
    return this.#buckets.withLease([options.ttlMs], async ([lease]) => {
      const stored = encodeStored(value, lease?.expiresAt);
      const r = await this.#commit({
        dict,
        checks: [{ key, version: 0 }],
        writes: [put(this.#entry(dict, key), stored, lease?.leaseId)],
        bump: 'always',
        fence: options.fence,
        fenceFirst: true,
        what: 'dict setIfAbsent',
      });
      if (!r.ok) return { entry: decodeStored(r.conflict.kv!), created: false };
      const entry = { value, version: r.revision, ...(lease ? { expiresAt: lease.expiresAt } : {}) };
      return { entry, created: true };
    });
  }

  async delete(dict: string, key: string, options: C.DeleteOptions): Promise<boolean> {
    const r = await this.#commit({
      dict,
      checks: options.ifVersion === undefined ? [] : [{ key, version: options.ifVersion }],
      writes: [del(this.#entry(dict, key))],
      bump: { ifExisted: this.#entry(dict, key) },
      fence: options.fence,
      what: 'dict delete',
    });
    if (!r.ok) throw conflictError(r.conflict);
    return Number(r.writes[0]?.response_delete_range?.deleted ?? 0) > 0;
  }

  async pop(dict: string, key: string, options: C.WriteOptions): Promise<C.StoredEntry | undefined> {
    const r = await this.#commit({
      dict,
      checks: [],
      writes: [del(this.#entry(dict, key), { prevKv: true })],
      bump: { ifExisted: this.#entry(dict, key) },
      fence: options.fence,
      what: 'dict pop',
    });
    if (!r.ok) throw conflictError(r.conflict);
    const gone = r.writes[0]?.response_delete_range?.prev_kvs[0];
    return gone && decodeStored(gone);
  }

  async incr(dict: string, key: string, by: number, options: C.WriteOptions): Promise<C.IncrResult> {
    const entryKey = this.#entry(dict, key);
    let kv = (await this.#client.range('dict incr', { key: entryKey })).kvs[0];
    for (let attempt = 1; ; attempt++) {
      const current = kv && decodeStored(kv);
      const parsed: unknown = current ? JSON.parse(current.value) : 0;
      if (typeof parsed !== 'number') {
        if (options.fence)
          await this.#commit({
            dict,
            checks: [],
            writes: [],
            bump: 'never',
            fence: options.fence,
            what: 'dict incr',
          });
        throw notANumberError(key, jsonKind(parsed));
      }
      const next = incremented(key, parsed, by);
      const text = JSON.stringify(next);
      const r = await this.#commit({
        dict,
        checks: [{ key, version: current?.version ?? 0 }],
        writes: [
          current ? putKeepLease(entryKey, encodeStored(text, current.expiresAt)) : put(entryKey, text),
        ],
        bump: 'always',
        fence: options.fence,
        what: 'dict incr',
      });
      if (r.ok) return { value: next, version: r.revision };
      kv = r.conflict.kv; // lost a race: retry on what etcd now holds
      await contentionPause(attempt);
    }
  }

  batch(dict: string, ops: readonly C.BatchOp[], options: C.WriteOptions): Promise<number> {
    return batchDict(this.#client, this.#buckets, dict, ops, options.fence);
  }

  async list(dict: string, options: C.ListOptions): Promise<C.ListPage> {
    const keys = this.#client.keys;
    const dir = keys.entryDir(dict);
    const from = keys.entryKey(dict, options.prefix ?? '');
    const after = options.cursor === undefined ? undefined : decodeCursor(options.cursor);
    const afterKey =
      after === undefined ? undefined : Buffer.concat([keys.entryKey(dict, after), Buffer.from([0])]);
    const start = afterKey && Buffer.compare(afterKey, from) > 0 ? afterKey : from;
    const read = new Txn({
      success: {
        page: range(start, prefixEnd(from), {
          limit: options.limit ?? 100,
          keys_only: options.keysOnly === true,
        }),
        version: get(keys.versionKey(dict)),
        registration: get(keys.dictNameKey(dict)),
      },
    });
    const got = read.got(await this.#client.txn('dict list', 'idempotent', read.request));
    const page = got.page?.response_range;
    const entries = (page?.kvs ?? []).map((kv) => ({
      key: kv.key.subarray(dir.length).toString('utf8'),
      entry: options.keysOnly ? { value: '', version: revisionOf(kv.mod_revision) } : decodeStored(kv),
    }));
    const last = entries[entries.length - 1];
    return {
      entries,
      cursor: page?.more && last ? encodeCursor(last.key) : undefined,
      version: revisionOf(kvsOf(got.version)[0]?.mod_revision),
      history: historyOf(kvsOf(got.registration)[0]),
    };
  }

  async size(dict: string): Promise<number> {
    const dir = this.#client.keys.entryDir(dict);
    const res = await this.#client.range('dict size', {
      key: dir,
      range_end: prefixEnd(dir),
      count_only: true,
    });
    return Number(res.count);
  }

  async clear(dict: string): Promise<void> {
    const keys = this.#client.keys;
    const dir = keys.entryDir(dict);
    await this.#client.txn('dict clear', 'unsent', {
      compare: [createIs(dir, 'equal', 0, prefixEnd(dir))], // nothing to clear: no version
      failure: [del(dir, { rangeEnd: prefixEnd(dir) }), put(keys.versionKey(dict), '')],
    });
  }

  async version(dict: string): Promise<number> {
    const res = await this.#client.range('dict version', { key: this.#client.keys.versionKey(dict) });
    return revisionOf(res.kvs[0]?.mod_revision);
  }

  async *watch(dict: string, request: C.WatchRequest): AsyncGenerator<C.ChangeBatch> {
    this.#client.assertOpen();
    const stop = new AbortController();
    this.#watches.add(stop);
    const signal = request.signal ? AbortSignal.any([request.signal, stop.signal]) : stop.signal;
    try {
      yield* watchDict(this.#client, dict, { ...request, signal });
    } finally {
      this.#watches.delete(stop);
    }
  }

  listDicts(options: ListFilter = {}): Promise<Array<{ name: string; size: number }>> {
    return listDicts(this.#client, options);
  }

  async ping(): Promise<void> {
    await this.#client.ping();
  }

  /** close ends this client's watches (their iterations finish). */
  async close(): Promise<void> {
    for (const stop of this.#watches) stop.abort();
  }

  #commit(spec: Omit<CommitSpec, 'retry'>): ReturnType<typeof commitDict> {
    return commitDict(this.#client, { ...spec, retry: 'unsent' });
  }

  #entry(dict: string, key: string): Buffer {
    return this.#client.keys.entryKey(dict, key);
  }
}
