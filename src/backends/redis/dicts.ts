/**
 * RedisDicts: the dict contract on Redis. Every operation is one script and one round trip, on
 * keys that share the dict's hash tag (layout in keys.ts, scripts in scripts/dict_*.lua). Each
 * mutation takes the next value of the dict's revision counter and appends its changes to the
 * dict's stream under the id `<version>-0`, in the same script; watch (watch.ts) reads that stream.
 *
 * TTL (Redis 7.0 has no per-field expiry): a per-dict sorted set holds each TTL'd key's expiry
 * time. Every dict script but `get` first deletes up to `expireBatch` entries whose time has come
 * (plus the due ones among the keys it touches), under one new version with an `expire` change
 * each, and every script treats due entries it has not purged as absent (size, list, conditions,
 * incr); `get` answers an entry past its expiry as absent without deleting it. So an expired entry
 * is never returned, no call does more than a bounded amount of purging however many entries
 * expire at once, and a mass expiry takes few versions (a watcher that keeps up is not
 * compacted). A watcher runs purge steps while expiries are due, and the background sweep
 * (expiry-sweep.ts) does for dicts nobody touches or watches.
 *
 * Fenced writes are checked inside the write script against the dict's fence table. Outside a
 * cluster (single node, sentinel), where one script may touch the lock's keys too, the script
 * first refuses a fence above the lock's issued-fence counter (passed in KEYS), and with a token
 * it also checks that the token holds the lock. In a cluster the lock's keys are in another slot:
 * SharedDict reads the counter before the write instead (capabilities.fenceIssuedCheck false).
 *
 * Concurrent unfenced `get`, `set`, `delete` and `incr` calls of one client share script calls
 * (coalesce.ts); every other call first sends what is queued, so calls keep their order.
 */
import { BackendUnavailableError } from '../../errors.js';
import type {
  BatchOp,
  ChangeBatch,
  DeleteOptions,
  DictBackend,
  DictCapabilities,
  ListOptions,
  ListPage,
  SetOptions,
  StoredEntry,
  WatchRequest,
  WriteOptions,
} from '../../shared-state/backend.js';
import { decodeCursor, encodeCursor } from '../common/cursor.js';
import type { RedisConnections } from './client.js';
import { type Call, Coalescer } from './coalesce.js';
import { DictNames } from './dict-names.js';
import { lexMin, parseEntry } from './entries.js';
import { checkReply, type ScriptReply, translateError } from './errors.js';
import { ExpirySweep } from './expiry-sweep.js';
import type { KeyLayout } from './keys.js';
import type { ScriptName, Scripts } from './scripts.js';
import { LockWakeups } from './wakeups.js';
import { type DictState, watchDict } from './watch.js';

/** EXACT_TRIM_BELOW: streams shorter than this are trimmed exactly (MAXLEN =), longer ones approximately (~). */
const EXACT_TRIM_BELOW = 1000;
/** REGISTERING are the scripts that can add entries, so their dict's name goes into the registry (dict-names.ts). */
const REGISTERING: ReadonlySet<ScriptName> = new Set(['dictWrite', 'dictSetIfAbsent', 'dictIncr']);

/** RedisDicts is one client's dict backend on Redis. */
export class RedisDicts implements DictBackend {
  readonly capabilities: DictCapabilities;
  readonly #conns: RedisConnections;
  readonly #scripts: Scripts;
  readonly #keys: KeyLayout;
  readonly #stops = new Set<() => void>();
  readonly #names: DictNames;
  readonly #sweep: ExpirySweep;
  /** #wakeups is the one subscriber connection all of this client's watches share (opened on the first watch). */
  readonly #wakeups: LockWakeups;
  /** #coalescer queues concurrent calls into shared script calls; undefined when `coalesce` is 1. */
  readonly #coalescer: Coalescer | undefined;
  #closed = false;

  constructor(conns: RedisConnections, scripts: Scripts, keys: KeyLayout) {
    this.#conns = conns;
    this.#scripts = scripts;
    this.#keys = keys;
    this.#names = new DictNames(conns.main, keys.prefix);
    const { expireSweepMs, timeoutMs } = conns.settings;
    this.#sweep = new ExpirySweep(
      scripts,
      keys.prefix,
      expireSweepMs,
      3 * timeoutMs + expireSweepMs,
      (dict) => this.#state(dict),
    );
    this.#wakeups = new LockWakeups(() => conns.subscriber(), conns.settings.timeoutMs, 'a dict change');
    this.capabilities = Object.freeze({
      ownershipGuard: !conns.isCluster,
      fenceIssuedCheck: !conns.isCluster,
      ttlGranularityMs: 1,
      historyLimit: conns.settings.historyLimit,
    });
    const max = conns.settings.coalesce;
    this.#coalescer =
      max > 1
        ? new Coalescer({
            max,
            alone: (call) => this.#alone(call),
            together: (d, calls) => this.#together(d, calls),
          })
        : undefined;
  }

  async get(dict: string, key: string): Promise<StoredEntry | undefined> {
    const r = await this.#call({ dict, kind: 'g', key, ifVersion: '', ttlMs: '', value: '' });
    return r[1] ? parseEntry(String(r[1])) : undefined;
  }

  async set(dict: string, key: string, value: string, options: SetOptions): Promise<number> {
    if (options.fence) {
      const op: BatchOp = { op: 'set', key, value, ifVersion: options.ifVersion, ttlMs: options.ttlMs };
      return (await this.#write(dict, [op], options)).version;
    }
    const { ifVersion, ttlMs } = options;
    const r = await this.#call({
      dict,
      kind: 's',
      key,
      ifVersion: ifVersion ?? '',
      ttlMs: ttlMs ?? '',
      value,
    });
    if (ttlMs !== undefined) this.#sweep.note(dict, Date.now() + ttlMs);
    return Number(r[1]);
  }

  async setIfAbsent(
    dict: string,
    key: string,
    value: string,
    options: { ttlMs?: number | undefined } & WriteOptions,
  ): Promise<{ entry: StoredEntry; created: boolean }> {
    const r = await this.#run('dictSetIfAbsent', dict, options, [key, value, options.ttlMs ?? '']);
    if (r[1] === 1 && options.ttlMs !== undefined) this.#sweep.note(dict, Date.now() + options.ttlMs);
    return { created: r[1] === 1, entry: parseEntry(String(r[2])) };
  }

  async delete(dict: string, key: string, options: DeleteOptions): Promise<boolean> {
    if (options.fence) {
      const op: BatchOp = { op: 'delete', key, ifVersion: options.ifVersion };
      return (await this.#write(dict, [op], options)).changed > 0;
    }
    const call = { dict, kind: 'd', key, ifVersion: options.ifVersion ?? '', ttlMs: '', value: '' } as const;
    return Number((await this.#call(call))[2]) > 0;
  }

  async pop(dict: string, key: string, options: WriteOptions): Promise<StoredEntry | undefined> {
    const r = await this.#run('dictPop', dict, options, [key]);
    return r[1] ? parseEntry(String(r[1])) : undefined;
  }

  async incr(
    dict: string,
    key: string,
    by: number,
    options: WriteOptions,
  ): Promise<{ value: number; version: number }> {
    const r = options.fence
      ? await this.#run('dictIncr', dict, options, [key, String(by)])
      : await this.#call({ dict, kind: 'i', key, ifVersion: '', ttlMs: '', value: String(by) });
    return { version: Number(r[1]), value: JSON.parse(String(r[2])) as number };
  }

  async batch(dict: string, ops: readonly BatchOp[], options: WriteOptions): Promise<number> {
    return (await this.#write(dict, ops, options)).version;
  }

  async list(dict: string, options: ListOptions): Promise<ListPage> {
    const prefix = options.prefix ?? '';
    const after = options.cursor === undefined ? undefined : decodeCursor(options.cursor);
    const limit = options.limit ?? 100;
    const r = await this.#run('dictList', dict, undefined, [
      prefix,
      lexMin(prefix, after),
      limit,
      options.keysOnly ? '1' : '0',
    ]);
    const entries: Array<{ key: string; entry: StoredEntry }> = [];
    for (let i = 5; i + 1 < r.length; i += 2) {
      const key = String(r[i]);
      const packed = String(r[i + 1]);
      entries.push({ key, entry: packed === '' ? { value: '', version: 0 } : parseEntry(packed) });
    }
    return {
      entries,
      cursor: r[2] === 1 ? encodeCursor(String(r[3])) : undefined,
      version: Number(r[1]),
      history: r[4] ? String(r[4]) : undefined,
    };
  }

  async size(dict: string): Promise<number> {
    return (await this.#state(dict)).size;
  }

  async clear(dict: string): Promise<void> {
    await this.#run('dictClear', dict, undefined, []);
  }

  async version(dict: string): Promise<number> {
    return (await this.#state(dict)).version;
  }

  watch(dict: string, request: WatchRequest): AsyncIterable<ChangeBatch> {
    this.#open();
    return watchDict(
      {
        conns: this.#conns,
        wakeups: this.#wakeups,
        stream: this.#keys.dict(dict).all[5],
        meta: this.#keys.dict(dict).all[3],
        state: () => this.#state(dict),
        onClose: this.#stops,
        closed: () => this.#closed,
      },
      request,
    );
  }

  /** listDicts reads the name registry (dict-names.ts), not the keyspace. */
  listDicts(
    options: { prefix?: string; limit?: number } = {},
  ): Promise<Array<{ name: string; size: number }>> {
    this.#open();
    return this.#names.list(options, (dict) => this.size(dict));
  }

  async ping(): Promise<void> {
    this.#open();
    try {
      await this.#conns.main.ping();
    } catch (err) {
      throw translateError(err);
    }
  }

  /** close ends this client's watches; the connection itself is closed by the backend. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#sweep.close();
    for (const stop of [...this.#stops]) stop();
    await this.#wakeups.close();
  }

  async #state(dict: string): Promise<DictState> {
    const r = await this.#run('dictState', dict, undefined, []);
    const optional = (v: ScriptReply[number] | undefined) => (v === '' || v === null ? undefined : Number(v));
    return {
      version: Number(r[1]),
      size: Number(r[2]),
      oldest: optional(r[3]),
      nextExpiry: optional(r[4]),
      now: Number(r[5]),
      history: r[6] ? String(r[6]) : undefined,
    };
  }

  async #write(
    dict: string,
    ops: readonly BatchOp[],
    options: WriteOptions,
  ): Promise<{ version: number; changed: number }> {
    const args: Array<string | number> = [ops.length];
    let ttlMs = Number.POSITIVE_INFINITY;
    for (const op of ops) {
      if (op.op === 'set') args.push('s', op.key, op.ifVersion ?? '', op.ttlMs ?? '', op.value);
      else args.push('d', op.key, op.ifVersion ?? '', '', '');
      if (op.op === 'set' && op.ttlMs !== undefined) ttlMs = Math.min(ttlMs, op.ttlMs);
    }
    const r = await this.#run('dictWrite', dict, options, args);
    if (ttlMs !== Number.POSITIVE_INFINITY) this.#sweep.note(dict, Date.now() + ttlMs);
    return { version: Number(r[1]), changed: Number(r[2]) };
  }

  /** #call runs an unfenced get, set, delete or incr: queued for a shared script call, or alone. */
  #call(call: Omit<Call, 'resolve' | 'reject'>): Promise<ScriptReply> {
    this.#open();
    return this.#coalescer ? this.#coalescer.run(call) : this.#alone(call);
  }

  /** #alone runs one call by its own script (dict_get, dict_write, dict_incr). */
  async #alone(call: Omit<Call, 'resolve' | 'reject'>): Promise<ScriptReply> {
    const { dict, key } = call;
    switch (call.kind) {
      case 'g': {
        const keys = [this.#keys.dict(dict).entries];
        return checkReply(await this.#scripts.run('dictGet', keys, [key]), 'dictGet');
      }
      case 'i':
        return this.#send('dictIncr', dict, undefined, [key, call.value]);
      default:
        return this.#send('dictWrite', dict, undefined, [
          1,
          call.kind,
          key,
          call.ifVersion,
          call.ttlMs,
          call.value,
        ]);
    }
  }

  /** #together runs several unfenced calls on one dict by dict_each.lua; resolves to its raw reply. */
  async #together(dict: string, calls: readonly Call[]): Promise<unknown> {
    const args: Array<string | number> = [calls.length];
    let writes = false;
    for (const c of calls) {
      args.push(c.kind, c.key, c.ifVersion, c.ttlMs, c.value);
      writes ||= c.kind !== 'g';
    }
    const [reply] = await Promise.all([
      this.#scripts.run(
        'dictEach',
        [...this.#keys.dict(dict).all],
        [...this.#head(undefined), ...args, this.#conns.settings.expireBatch],
        { replicate: writes }, // URL option replicas: only a chunk that writes waits for replicas
      ),
      writes ? this.#names.register(dict) : undefined,
    ]);
    return reply;
  }

  /** #head is ARGV[1..5] of every dict script but dict_get: history limit, trim mode, fence lock, fence, token. */
  #head(options: WriteOptions | undefined): Array<string | number> {
    const fence = options?.fence;
    const token = fence?.token !== undefined && this.capabilities.ownershipGuard ? fence.token : '';
    const limit = this.#conns.settings.historyLimit;
    return [limit, limit < EXACT_TRIM_BELOW ? '=' : '~', fence?.lock ?? '', fence?.fence ?? '', token];
  }

  /** #run is #send after sending what the coalescer holds, so calls reach Redis in the order made. */
  #run(
    script: ScriptName,
    dict: string,
    options: WriteOptions | undefined,
    args: ReadonlyArray<string | number>,
  ): Promise<ScriptReply> {
    this.#open();
    this.#coalescer?.flush();
    return this.#send(script, dict, options, args);
  }

  /**
   * #send calls a dict script: KEYS = the dict's six keys (+ the fence scope's issued-fence counter
   * and then the lock's holder key for the ownership guard, outside a cluster), ARGV = history
   * limit, trim mode, fence lock, fence, token, then `args`, then the purge limit (`expireBatch`;
   * dict_lib.lua reads it as the last argument).
   */
  async #send(
    script: ScriptName,
    dict: string,
    options: WriteOptions | undefined,
    args: ReadonlyArray<string | number>,
  ): Promise<ScriptReply> {
    const keys: string[] = [...this.#keys.dict(dict).all];
    const fence = options?.fence;
    const head = this.#head(options);
    if (fence && this.capabilities.fenceIssuedCheck) {
      // KEYS[7]: the counter to check issuance against, or '' when the caller already checked it.
      keys.push(fence.issuedChecked ? '' : this.#keys.fenceCounter(fence.scope));
      if (head[4] !== '') keys.push(this.#keys.lock(fence.lock).holder);
    }
    const [reply] = await Promise.all([
      this.#scripts.run(script, keys, [...head, ...args, this.#conns.settings.expireBatch]),
      REGISTERING.has(script) ? this.#names.register(dict) : undefined,
    ]);
    return checkReply(reply, script);
  }

  #open(): void {
    if (this.#closed) throw new BackendUnavailableError('baton client is closed');
  }
}
