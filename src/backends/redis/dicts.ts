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
import type { ListFilter } from '../../list-filter.js';
import type * as C from '../../shared-state/backend.js';
import { decodeCursor, encodeCursor } from '../common/cursor.js';
import { ClientGate } from '../common/gate.js';
import type { RedisConnections } from './client.js';
import { type Call, Coalescer } from './coalesce.js';
import { DictNames } from './dict-names.js';
import { lexMin, parseEntry } from './entries.js';
import type { ScriptReply } from './errors.js';
import { ExpirySweep } from './expiry-sweep.js';
import type { KeyLayout } from './keys.js';
import {
  DICT_CLEAR,
  DICT_EACH,
  DICT_GET,
  DICT_INCR,
  DICT_LIST,
  DICT_POP,
  DICT_SET_IF_ABSENT,
  DICT_STATE,
  DICT_WRITE,
  type DictOp,
  type DictTarget,
  type Written,
} from './script-defs.js';
import type { AnyScript, Script, Scripts } from './scripts.js';
import { LockWakeups } from './wakeups.js';
import { type DictState, watchDict } from './watch.js';

/** EXACT_TRIM_BELOW: streams shorter than this are trimmed exactly (MAXLEN =), longer ones approximately (~). */
const EXACT_TRIM_BELOW = 1000;
/** REGISTERING are the scripts that can add entries, so their dict's name goes into the registry (dict-names.ts). */
const REGISTERING: ReadonlySet<AnyScript> = new Set<AnyScript>([DICT_WRITE, DICT_SET_IF_ABSENT, DICT_INCR]);

/** RedisDicts is one client's dict backend on Redis. */
export class RedisDicts implements C.DictBackend {
  readonly capabilities: C.DictCapabilities;
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
  readonly #gate = new ClientGate();

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

  async get(dict: string, key: string): Promise<C.StoredEntry | undefined> {
    const packed = DICT_GET.decode(
      await this.#call({ dict, kind: 'g', key, ifVersion: '', ttlMs: '', value: '' }),
    );
    return packed === undefined ? undefined : parseEntry(packed);
  }

  async set(dict: string, key: string, value: string, options: C.SetOptions): Promise<number> {
    if (options.fence) {
      const op: C.BatchOp = { op: 'set', key, value, ifVersion: options.ifVersion, ttlMs: options.ttlMs };
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
    return DICT_WRITE.decode(r).version;
  }

  async setIfAbsent(
    dict: string,
    key: string,
    value: string,
    options: C.SetIfAbsentOptions,
  ): Promise<C.SetIfAbsentResult> {
    const { ttlMs } = options;
    const target = this.#target(dict, options);
    const { created, packed } = await this.#run(DICT_SET_IF_ABSENT, dict, { target, key, value, ttlMs });
    if (created && ttlMs !== undefined) this.#sweep.note(dict, Date.now() + ttlMs);
    return { created, entry: parseEntry(packed) };
  }

  async delete(dict: string, key: string, options: C.DeleteOptions): Promise<boolean> {
    if (options.fence) {
      const op: C.BatchOp = { op: 'delete', key, ifVersion: options.ifVersion };
      return (await this.#write(dict, [op], options)).changed > 0;
    }
    const call = { dict, kind: 'd', key, ifVersion: options.ifVersion ?? '', ttlMs: '', value: '' } as const;
    return DICT_WRITE.decode(await this.#call(call)).changed > 0;
  }

  async pop(dict: string, key: string, options: C.WriteOptions): Promise<C.StoredEntry | undefined> {
    const packed = await this.#run(DICT_POP, dict, { target: this.#target(dict, options), key });
    return packed === undefined ? undefined : parseEntry(packed);
  }

  async incr(dict: string, key: string, by: number, options: C.WriteOptions): Promise<C.IncrResult> {
    const amount = String(by);
    return options.fence
      ? await this.#run(DICT_INCR, dict, { target: this.#target(dict, options), key, amount })
      : DICT_INCR.decode(await this.#call({ dict, kind: 'i', key, ifVersion: '', ttlMs: '', value: amount }));
  }

  async batch(dict: string, ops: readonly C.BatchOp[], options: C.WriteOptions): Promise<number> {
    return (await this.#write(dict, ops, options)).version;
  }

  async list(dict: string, options: C.ListOptions): Promise<C.ListPage> {
    const prefix = options.prefix ?? '';
    const after = options.cursor === undefined ? undefined : decodeCursor(options.cursor);
    const page = await this.#run(DICT_LIST, dict, {
      target: this.#target(dict, undefined),
      prefix,
      min: lexMin(prefix, after),
      limit: options.limit ?? 100,
      keysOnly: options.keysOnly === true,
    });
    return {
      entries: page.items.map(([key, packed]) => ({
        key,
        entry: packed === '' ? { value: '', version: 0 } : parseEntry(packed),
      })),
      cursor: page.resume === undefined ? undefined : encodeCursor(page.resume),
      version: page.version,
      history: page.history,
    };
  }

  async size(dict: string): Promise<number> {
    return (await this.#state(dict)).size;
  }

  async clear(dict: string): Promise<void> {
    await this.#run(DICT_CLEAR, dict, { target: this.#target(dict, undefined) });
  }

  async version(dict: string): Promise<number> {
    return (await this.#state(dict)).version;
  }

  watch(dict: string, request: C.WatchRequest): AsyncIterable<C.ChangeBatch> {
    this.#gate.assertOpen();
    return watchDict(
      {
        conns: this.#conns,
        wakeups: this.#wakeups,
        stream: this.#keys.dict(dict).all[5],
        meta: this.#keys.dict(dict).all[3],
        state: () => this.#state(dict),
        onClose: this.#stops,
        closed: () => this.#gate.closed,
      },
      request,
    );
  }

  /** listDicts reads the name registry (dict-names.ts), not the keyspace. */
  listDicts(options: ListFilter = {}): Promise<Array<{ name: string; size: number }>> {
    this.#gate.assertOpen();
    return this.#names.list(options, (dict) => this.size(dict));
  }

  async ping(): Promise<void> {
    this.#gate.assertOpen();
    await this.#conns.ping();
  }

  /** close ends this client's watches; the connection itself is closed by the backend. */
  async close(): Promise<void> {
    if (!this.#gate.close()) return;
    this.#sweep.close();
    for (const stop of [...this.#stops]) stop();
    await this.#wakeups.close();
  }

  #state(dict: string): Promise<DictState> {
    return this.#run(DICT_STATE, dict, { target: this.#target(dict, undefined) });
  }

  async #write(dict: string, ops: readonly C.BatchOp[], options: C.WriteOptions): Promise<Written> {
    let ttlMs = Number.POSITIVE_INFINITY;
    const dictOps = ops.map((op): DictOp => {
      if (op.op === 'delete')
        return { kind: 'd', key: op.key, ifVersion: op.ifVersion ?? '', ttlMs: '', value: '' };
      if (op.ttlMs !== undefined) ttlMs = Math.min(ttlMs, op.ttlMs);
      return {
        kind: 's',
        key: op.key,
        ifVersion: op.ifVersion ?? '',
        ttlMs: op.ttlMs ?? '',
        value: op.value,
      };
    });
    const written = await this.#run(DICT_WRITE, dict, { target: this.#target(dict, options), ops: dictOps });
    if (ttlMs !== Number.POSITIVE_INFINITY) this.#sweep.note(dict, Date.now() + ttlMs);
    return written;
  }

  /** #call runs an unfenced get, set, delete or incr: queued for a shared script call, or alone. */
  #call(call: Omit<Call, 'resolve' | 'reject'>): Promise<ScriptReply> {
    this.#gate.assertOpen();
    return this.#coalescer ? this.#coalescer.run(call) : this.#alone(call);
  }

  /** #alone runs one call by its own script (dict_get, dict_write, dict_incr); resolves to its checked reply. */
  async #alone(call: Omit<Call, 'resolve' | 'reject'>): Promise<ScriptReply> {
    const { dict, key } = call;
    switch (call.kind) {
      case 'g':
        return this.#scripts.reply(DICT_GET, { entries: this.#keys.dict(dict).entries, key });
      case 'i':
        return this.#send(DICT_INCR, dict, {
          target: this.#target(dict, undefined),
          key,
          amount: call.value,
        });
      default:
        return this.#send(DICT_WRITE, dict, { target: this.#target(dict, undefined), ops: [call] });
    }
  }

  /** #together runs several unfenced calls on one dict by dict_each.lua; resolves to its checked reply. */
  async #together(dict: string, calls: readonly Call[]): Promise<unknown> {
    const writes = calls.some((c) => c.kind !== 'g');
    const [reply] = await Promise.all([
      this.#scripts.reply(
        DICT_EACH,
        { target: this.#target(dict, undefined), calls },
        { replicate: writes }, // URL option replicas: only a chunk that writes waits for replicas
      ),
      writes ? this.#names.register(dict) : undefined,
    ]);
    return reply;
  }

  /**
   * #target is what every dict script but dict_get starts with: KEYS = the dict's six keys (+ the
   * fence scope's issued-fence counter and then the lock's holder key for the ownership guard,
   * outside a cluster), ARGV[1..5] = history limit, trim mode, fence scope, fence, token, and last
   * the fence floor if the dict lost its fence table ('' for none) and the purge limit
   * (`expireBatch`).
   */
  #target(dict: string, options: C.WriteOptions | undefined): DictTarget {
    const keys: string[] = [...this.#keys.dict(dict).all];
    const fence = options?.fence;
    const token = fence?.token !== undefined && this.capabilities.ownershipGuard ? fence.token : '';
    if (fence && this.capabilities.fenceIssuedCheck) {
      // KEYS[7]: the counter to check issuance against, or '' when the caller already checked it.
      keys.push(fence.issuedChecked ? '' : this.#keys.fenceCounter(fence.scope));
      if (token !== '') keys.push(this.#keys.lock(fence.lock).holder);
    }
    const limit = this.#conns.settings.historyLimit;
    return {
      keys,
      head: [limit, limit < EXACT_TRIM_BELOW ? '=' : '~', fence?.lock ?? '', fence?.fence ?? '', token],
      floorIfLost: fence?.floorIfLost ?? '',
      purgeLimit: this.#conns.settings.expireBatch,
    };
  }

  /** #run is #send, decoded, after sending what the coalescer holds, so calls reach Redis in the order made. */
  async #run<I, O>(script: Script<I, O>, dict: string, input: I): Promise<O> {
    this.#gate.assertOpen();
    this.#coalescer?.flush();
    return script.decode(await this.#send(script, dict, input));
  }

  /** #send calls a dict script, registering the dict's name beside the scripts that can add entries (dict-names.ts). */
  async #send<I, O>(script: Script<I, O>, dict: string, input: I): Promise<ScriptReply> {
    const [reply] = await Promise.all([
      this.#scripts.reply(script, input),
      REGISTERING.has(script) ? this.#names.register(dict) : undefined,
    ]);
    return reply;
  }
}
