/**
 * MemoryDicts: the dict contract over a MemoryStore. Each mutation checks its conditions
 * (versions, fence issued by its lock and not older than the dict's highest, ownership) and applies in one synchronous step, takes the dict's next
 * version, and appends one batch to the dict's bounded history, which watchers read. Expiry is
 * scheduled per entry on the store's single timer and also applied before every operation, so
 * an expired entry is never returned and always shows in the history. Expiries of one dict that
 * run in one pass of the scheduler share a version, up to EXPIRE_GROUP changes each, so a mass
 * expiry takes few versions and does not compact a watcher that keeps up (watchers cannot read
 * during the pass: it is synchronous).
 */

import { HistoryCompactedError, StaleFenceError, VersionConflictError } from '../../errors.js';
import type { ListFilter } from '../../list-filter.js';
import type * as C from '../../shared-state/backend.js';
import { decodeCursor, encodeCursor } from '../common/cursor.js';
import { ClientGate } from '../common/gate.js';
import { incremented, storedNumber } from '../common/incr.js';
import { now } from './scheduler.js';
import { byName, type DictState, type EntryState, type MemoryStore } from './store.js';

/** EXPIRE_GROUP is the most expire changes one version holds. */
export const EXPIRE_GROUP = 100;

/** MemoryDicts is one client's view of the dicts of a MemoryStore. */
export class MemoryDicts implements C.DictBackend {
  readonly capabilities: C.DictCapabilities;
  readonly #store: MemoryStore;
  readonly #wakeOnClose = new Set<() => void>();
  readonly #gate = new ClientGate();

  constructor(store: MemoryStore) {
    this.#store = store;
    this.capabilities = Object.freeze({
      ownershipGuard: true,
      fenceIssuedCheck: true,
      ttlGranularityMs: 1,
      historyLimit: store.historyLimit,
    });
  }

  async get(dict: string, key: string): Promise<C.StoredEntry | undefined> {
    const e = this.#read(dict)?.entries.get(key);
    return e && toStored(e);
  }

  async set(dict: string, key: string, value: string, options: C.SetOptions): Promise<number> {
    const st = this.#write(dict);
    checkVersion(st, key, options.ifVersion);
    this.#checkFence(st, options.fence);
    return this.#commit(st, options.fence, (version) => {
      this.#put(st, key, value, version, options.ttlMs);
      return [{ type: 'set', key, value }];
    });
  }

  async setIfAbsent(
    dict: string,
    key: string,
    value: string,
    options: C.SetIfAbsentOptions,
  ): Promise<C.SetIfAbsentResult> {
    const st = this.#write(dict);
    this.#checkFence(st, options.fence);
    const existing = st.entries.get(key);
    if (existing) return { entry: toStored(existing), created: false };
    this.#commit(st, options.fence, (version) => {
      this.#put(st, key, value, version, options.ttlMs);
      return [{ type: 'set', key, value }];
    });
    return { entry: toStored(st.entries.get(key)!), created: true };
  }

  async delete(dict: string, key: string, options: C.DeleteOptions): Promise<boolean> {
    const st = this.#write(dict);
    checkVersion(st, key, options.ifVersion);
    this.#checkFence(st, options.fence);
    if (!st.entries.has(key)) return false;
    this.#commit(st, options.fence, () => {
      this.#remove(st, key);
      return [{ type: 'delete', key }];
    });
    return true;
  }

  async pop(dict: string, key: string, options: C.WriteOptions): Promise<C.StoredEntry | undefined> {
    const st = this.#write(dict);
    this.#checkFence(st, options.fence);
    const e = st.entries.get(key);
    if (!e) return undefined;
    this.#commit(st, options.fence, () => {
      this.#remove(st, key);
      return [{ type: 'delete', key }];
    });
    return toStored(e);
  }

  async incr(dict: string, key: string, by: number, options: C.WriteOptions): Promise<C.IncrResult> {
    const st = this.#write(dict);
    this.#checkFence(st, options.fence);
    const e = st.entries.get(key);
    const next = incremented(key, storedNumber(key, e?.value), by);
    const value = JSON.stringify(next);
    const version = this.#commit(st, options.fence, (v) => {
      if (e) {
        e.value = value; // keeps the entry's TTL and its scheduled expiry
        e.version = v;
      } else {
        this.#put(st, key, value, v, undefined);
      }
      return [{ type: 'set', key, value }];
    });
    return { value: next, version };
  }

  async batch(dict: string, ops: readonly C.BatchOp[], options: C.WriteOptions): Promise<number> {
    const st = this.#write(dict);
    for (const op of ops) checkVersion(st, op.key, op.ifVersion);
    this.#checkFence(st, options.fence);
    if (ops.every((op) => op.op === 'delete' && !st.entries.has(op.key))) return st.version;
    return this.#commit(st, options.fence, (version) => {
      const changes: C.StoredChange[] = [];
      for (const op of ops) {
        if (op.op === 'set') {
          this.#put(st, op.key, op.value, version, op.ttlMs);
          changes.push({ type: 'set', key: op.key, value: op.value });
        } else if (st.entries.has(op.key)) {
          this.#remove(st, op.key);
          changes.push({ type: 'delete', key: op.key });
        }
      }
      return changes;
    });
  }

  async list(dict: string, options: C.ListOptions): Promise<C.ListPage> {
    const st = this.#read(dict);
    if (!st) return { entries: [], version: 0, history: this.#store.historyId };
    st.sortedKeys ??= [...st.entries.keys()].sort(compareKeys);
    const keys = st.sortedKeys;
    const prefix = options.prefix ?? '';
    const after = options.cursor === undefined ? undefined : decodeCursor(options.cursor);
    let i =
      after === undefined || after < prefix ? lowerBound(keys, prefix, false) : lowerBound(keys, after, true);
    const limit = options.limit ?? 100;
    const entries: Array<{ key: string; entry: C.StoredEntry }> = [];
    for (; i < keys.length && entries.length < limit; i++) {
      const key = keys[i]!;
      if (!key.startsWith(prefix)) break;
      entries.push({ key, entry: toStored(st.entries.get(key)!) });
    }
    const more = i < keys.length && keys[i]!.startsWith(prefix);
    const last = entries[entries.length - 1];
    const cursor = more && last ? encodeCursor(last.key) : undefined;
    return { entries, cursor, version: st.version, history: this.#store.historyId };
  }

  async size(dict: string): Promise<number> {
    return this.#read(dict)?.entries.size ?? 0;
  }

  async clear(dict: string): Promise<void> {
    const st = this.#write(dict);
    if (st.entries.size === 0) return;
    this.#commit(st, undefined, () => {
      const changes: C.StoredChange[] = [];
      for (const [key, entry] of st.entries) {
        changes.push({ type: 'delete', key });
        this.#store.scheduler.cancel(entry.timer);
      }
      st.entries.clear();
      st.sortedKeys = undefined;
      return changes;
    });
  }

  async version(dict: string): Promise<number> {
    return this.#read(dict)?.version ?? 0;
  }

  async *watch(dict: string, request: C.WatchRequest): AsyncGenerator<C.ChangeBatch> {
    const st = this.#write(dict);
    const prefix = request.prefix ?? '';
    let cursor = request.fromVersion ?? st.version;
    const history = this.#store.historyId;
    if ((request.history !== undefined && request.history !== history) || cursor > st.version)
      throw new HistoryCompactedError(cursor, undefined);
    const signal = request.signal;
    while (!this.#gate.closed && !signal?.aborted) {
      this.#store.scheduler.runDue();
      const first = st.history[st.historyStart];
      const oldest = first ? first.version : st.version + 1;
      if (cursor < oldest - 1) throw new HistoryCompactedError(cursor, oldest);
      if (cursor < st.version) {
        const batch = st.history[st.historyStart + (cursor + 1 - oldest)]!;
        cursor = batch.version;
        const changes = prefix ? batch.changes.filter((c) => c.key.startsWith(prefix)) : batch.changes;
        if (changes.length > 0) yield { version: batch.version, changes, history };
        continue;
      }
      await new Promise<void>((resolve) => {
        const wake = () => {
          st.watchers.delete(wake);
          this.#wakeOnClose.delete(wake);
          signal?.removeEventListener('abort', wake);
          resolve();
        };
        st.watchers.add(wake);
        this.#wakeOnClose.add(wake);
        signal?.addEventListener('abort', wake, { once: true });
      });
    }
  }

  async listDicts(options: ListFilter = {}): Promise<Array<{ name: string; size: number }>> {
    this.#gate.assertOpen();
    this.#store.scheduler.runDue();
    const prefix = options.prefix ?? '';
    return byName(
      this.#store.dicts,
      (name, st) => st.entries.size > 0 && name.startsWith(prefix),
      (name, st) => ({ name, size: st.entries.size }),
      options.limit,
    );
  }

  async ping(): Promise<void> {
    this.#gate.assertOpen();
  }

  async close(): Promise<void> {
    if (!this.#gate.close()) return;
    for (const wake of [...this.#wakeOnClose]) wake();
  }

  #read(dict: string): DictState | undefined {
    this.#gate.assertOpen();
    this.#store.scheduler.runDue();
    return this.#store.dicts.get(dict);
  }

  #write(dict: string): DictState {
    this.#gate.assertOpen();
    this.#store.scheduler.runDue();
    return this.#store.dictState(dict);
  }

  /**
   * #checkFence refuses a fence its lock never issued (the store's fence counters, keyed by fence
   * scope: a lock name, or `semaphore/<name>` / `rwlock/<name>` for pools), then one below the
   * highest this dict accepted (or, with none on record, below `floorIfLost`), then (with a token)
   * a lease that no longer holds the lock.
   */
  #checkFence(st: DictState, fence: C.FenceCheck | undefined): void {
    if (!fence) return;
    if (!fence.issuedChecked && fence.fence > (this.#store.fences.get(fence.lock) ?? 0))
      throw new StaleFenceError(fence.lock, fence.fence, 'unissued_fence');
    if (fence.fence < (st.fences.get(fence.lock) ?? fence.floorIfLost ?? 0))
      throw new StaleFenceError(fence.lock, fence.fence, 'newer_fence');
    if (fence.token !== undefined && !this.#store.locks.get(fence.lock)?.holder(fence.token)) {
      throw new StaleFenceError(fence.lock, fence.fence, 'not_holder');
    }
  }

  /** #commit takes the next version, applies the change, records the fence and the history, and wakes watchers. */
  #commit(
    st: DictState,
    fence: C.FenceCheck | undefined,
    apply: (version: number) => C.StoredChange[],
  ): number {
    const version = st.version + 1;
    const changes = apply(version);
    st.version = version;
    if (fence && fence.fence > (st.fences.get(fence.lock) ?? 0)) st.fences.set(fence.lock, fence.fence);
    this.#record(st, { version, changes });
    return version;
  }

  #record(st: DictState, batch: C.ChangeBatch): void {
    st.history.push(batch);
    if (st.history.length - st.historyStart > this.#store.historyLimit) st.historyStart++;
    if (st.historyStart > 1024 && st.historyStart * 2 > st.history.length) {
      st.history.splice(0, st.historyStart);
      st.historyStart = 0;
    }
    for (const wake of [...st.watchers]) wake();
  }

  #remove(st: DictState, key: string): void {
    this.#store.scheduler.cancel(st.entries.get(key)?.timer);
    st.entries.delete(key);
    st.sortedKeys = undefined;
  }

  #put(st: DictState, key: string, value: string, version: number, ttlMs: number | undefined): void {
    const expiresAt = ttlMs === undefined ? undefined : now() + ttlMs;
    const entry: EntryState = { value, version, expiresAt, timer: undefined };
    const before = st.entries.get(key);
    if (before === undefined) st.sortedKeys = undefined;
    else this.#store.scheduler.cancel(before.timer);
    st.entries.set(key, entry);
    if (expiresAt !== undefined) {
      entry.timer = this.#store.scheduler.at(expiresAt, () => {
        if (st.entries.get(key) !== entry) return;
        st.entries.delete(key);
        st.sortedKeys = undefined;
        const pass = this.#store.scheduler.pass;
        const last = st.history[st.history.length - 1];
        if (last !== undefined && expiryGroups.get(last) === pass && last.changes.length < EXPIRE_GROUP) {
          (last.changes as C.StoredChange[]).push({ type: 'expire', key });
          return;
        }
        st.version++;
        const batch = { version: st.version, changes: [{ type: 'expire' as const, key }] };
        expiryGroups.set(batch, pass);
        this.#record(st, batch);
      });
    }
  }
}

/** expiryGroups marks the history batches made of expiries, with the scheduler pass that made them. */
const expiryGroups = new WeakMap<object, number>();

function toStored(e: EntryState): C.StoredEntry {
  return e.expiresAt === undefined
    ? { value: e.value, version: e.version }
    : { value: e.value, version: e.version, expiresAt: Math.floor(e.expiresAt) };
}

function checkVersion(st: DictState, key: string, ifVersion: number | undefined): void {
  if (ifVersion === undefined) return;
  const actual = st.entries.get(key)?.version ?? 0;
  if (actual !== ifVersion) throw new VersionConflictError(key, ifVersion, actual);
}

/** compareKeys orders keys by UTF-16 code units (JavaScript's default string order). */
function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** lowerBound finds the first index whose key is >= `key` (or > `key` when `strict`). */
function lowerBound(keys: readonly string[], key: string, strict: boolean): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const k = keys[mid]!;
    if (k < key || (strict && k === key)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
