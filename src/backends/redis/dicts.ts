/**
 * RedisDicts: the dict contract on Redis. Every operation is one script and one round trip, on
 * keys that share the dict's hash tag (layout in keys.ts, scripts in scripts/dict_*.lua). Each
 * mutation takes the next value of the dict's revision counter and appends its changes to the
 * dict's stream under the id `<version>-0`, in the same script; watch (watch.ts) reads that stream.
 *
 * TTL (Redis 7.0 has no per-field expiry): a per-dict sorted set holds each TTL'd key's expiry
 * time. Every dict script but `get` first deletes the entries whose time has come, each under its
 * own new version with an `expire` change, and reclaiming costs nothing but a range read of that
 * set, never a keyspace scan. `get` reads one hash field and answers an entry past its expiry as
 * absent without deleting it (a read has no version to give the expiry), so an expired entry is
 * never returned either way. A watcher also runs that purge when
 * the next expiry is due, so expiry shows in watch without other traffic. An expired entry of a
 * dict nobody touches and nobody watches stays in memory (never visible) until the next operation.
 *
 * Fenced writes are checked inside the write script against the dict's fence table; with a token
 * (single node and sentinel only) the script also checks that the token holds the lock.
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
import type { RedisConnections } from './client.js';
import { DictNames } from './dict-names.js';
import { decodeCursor, encodeCursor, lexMin, parseEntry } from './entries.js';
import { checkReply, type ScriptReply, translateError } from './errors.js';
import type { KeyLayout } from './keys.js';
import type { ScriptName, Scripts } from './scripts.js';
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
  #closed = false;

  constructor(conns: RedisConnections, scripts: Scripts, keys: KeyLayout) {
    this.#conns = conns;
    this.#scripts = scripts;
    this.#keys = keys;
    this.#names = new DictNames(conns.main, keys.prefix);
    this.capabilities = Object.freeze({
      ownershipGuard: !conns.isCluster,
      ttlGranularityMs: 1,
      historyLimit: conns.settings.historyLimit,
    });
  }

  async get(dict: string, key: string): Promise<StoredEntry | undefined> {
    this.#open();
    const r = checkReply(
      await this.#scripts.run('dictGet', [this.#keys.dict(dict).entries], [key]),
      'dictGet',
    );
    return r[1] ? parseEntry(String(r[1])) : undefined;
  }

  async set(dict: string, key: string, value: string, options: SetOptions): Promise<number> {
    const op: BatchOp = { op: 'set', key, value, ifVersion: options.ifVersion, ttlMs: options.ttlMs };
    return (await this.#write(dict, [op], options)).version;
  }

  async setIfAbsent(
    dict: string,
    key: string,
    value: string,
    options: { ttlMs?: number | undefined } & WriteOptions,
  ): Promise<{ entry: StoredEntry; created: boolean }> {
    const r = await this.#run('dictSetIfAbsent', dict, options, [key, value, options.ttlMs ?? '']);
    return { created: r[1] === 1, entry: parseEntry(String(r[2])) };
  }

  async delete(dict: string, key: string, options: DeleteOptions): Promise<boolean> {
    const op: BatchOp = { op: 'delete', key, ifVersion: options.ifVersion };
    return (await this.#write(dict, [op], options)).changed > 0;
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
    const r = await this.#run('dictIncr', dict, options, [key, String(by)]);
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
    for (let i = 4; i + 1 < r.length; i += 2) {
      const key = String(r[i]);
      const packed = String(r[i + 1]);
      entries.push({ key, entry: packed === '' ? { value: '', version: 0 } : parseEntry(packed) });
    }
    const last = entries[entries.length - 1];
    return {
      entries,
      cursor: r[2] === 1 && last ? encodeCursor(last.key) : undefined,
      version: Number(r[1]),
      history: r[3] ? String(r[3]) : undefined,
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
        stream: this.#keys.dict(dict).all[5],
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
    for (const stop of [...this.#stops]) stop();
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
    for (const op of ops) {
      if (op.op === 'set') args.push('s', op.key, op.ifVersion ?? '', op.ttlMs ?? '', op.value);
      else args.push('d', op.key, op.ifVersion ?? '', '', '');
    }
    const r = await this.#run('dictWrite', dict, options, args);
    return { version: Number(r[1]), changed: Number(r[2]) };
  }

  /**
   * #run calls a dict script: KEYS = the dict's six keys (+ the fence lock's holder key for the
   * ownership guard), ARGV = history limit, trim mode, fence lock, fence, token, then `args`.
   */
  async #run(
    script: ScriptName,
    dict: string,
    options: WriteOptions | undefined,
    args: ReadonlyArray<string | number>,
  ): Promise<ScriptReply> {
    this.#open();
    const keys: string[] = [...this.#keys.dict(dict).all];
    const fence = options?.fence;
    const token = fence?.token !== undefined && this.capabilities.ownershipGuard ? fence.token : '';
    if (token !== '' && fence) keys.push(this.#keys.lock(fence.lock).holder);
    const limit = this.#conns.settings.historyLimit;
    const head = [limit, limit < EXACT_TRIM_BELOW ? '=' : '~', fence?.lock ?? '', fence?.fence ?? '', token];
    const [reply] = await Promise.all([
      this.#scripts.run(script, keys, [...head, ...args]),
      REGISTERING.has(script) ? this.#names.register(dict) : undefined,
    ]);
    return checkReply(reply, script);
  }

  #open(): void {
    if (this.#closed) throw new BackendUnavailableError('baton client is closed');
  }
}
