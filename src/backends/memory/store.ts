/**
 * MemoryStore: the state of one in-process store — pools (of locks, semaphores and rwlocks), fence
 * counters, dicts and their watch history. Every `connect('memory://')` in a process shares the default store; `memory://name`
 * selects a separate named store. State is held in Maps only, never in plain objects keyed by
 * user strings, so keys such as `__proto__` are ordinary.
 *
 * All operations are synchronous against this state, so each is atomic (linearizable within the
 * process). Expiry runs from one Scheduler and lazily before each operation.
 */

import { randomBytes } from 'node:crypto';
import type { PoolState } from './pool-state.js';
import { Scheduler, type Timer } from './scheduler.js';
import { SteadyMap } from './steady-map.js';

/** EntryState is one stored dict entry. */
export interface EntryState {
  value: string;
  version: number;
  expiresAt: number | undefined;
  /** timer expires the entry at expiresAt; cancelled when the entry is overwritten or deleted. */
  timer: Timer | undefined;
}

/** HistoryBatch is one version of one dict's change history. */
export interface HistoryBatch {
  readonly version: number;
  readonly changes: ReadonlyArray<{ type: 'set' | 'delete' | 'expire'; key: string; value?: string }>;
}

/** DictState is one dict: entries, revision, accepted fences and bounded history. */
export interface DictState {
  readonly entries: SteadyMap<string, EntryState>;
  version: number;
  readonly fences: Map<string, number>;
  readonly history: HistoryBatch[];
  /** historyStart is the index in `history` of its oldest retained batch (the array is compacted lazily). */
  historyStart: number;
  readonly watchers: Set<() => void>;
  /** sortedKeys caches the keys in order for paging; undefined when stale. */
  sortedKeys: string[] | undefined;
}

/** DEFAULT_HISTORY_LIMIT is how many versions of watch history each memory dict keeps. */
export const DEFAULT_HISTORY_LIMIT = 10_000;

/** MemoryStore holds all state of one named in-memory store. */
export class MemoryStore {
  /** locks are the pools of one permit behind locks, keyed by lock name (their fences share `fences` under that name). */
  readonly locks = new SteadyMap<string, PoolState>();
  readonly fences = new Map<string, number>();
  readonly dicts = new Map<string, DictState>();
  /** pools are semaphore pools keyed `<namespace>/<name>`; their fences share `fences` under that key. */
  readonly pools = new SteadyMap<string, PoolState>();
  readonly scheduler = new Scheduler();
  /** historyId names this store's dict histories: random per store, so a new store (a restarted server) is a new history. */
  readonly historyId = `m${randomBytes(9).toString('base64url')}`;
  historyLimit = DEFAULT_HISTORY_LIMIT;
  #clients = 0;
  #waiting = 0;

  /** dictState returns the state of a dict, creating it empty. */
  dictState(name: string): DictState {
    let s = this.dicts.get(name);
    if (!s) {
      s = {
        entries: new SteadyMap(),
        version: 0,
        fences: new Map(),
        history: [],
        historyStart: 0,
        watchers: new Set(),
        sortedKeys: undefined,
      };
      this.dicts.set(name, s);
    }
    return s;
  }

  /** nextFence increments and returns the fence counter of a pool's key (never reset). */
  nextFence(name: string): number {
    const f = (this.fences.get(name) ?? 0) + 1;
    this.fences.set(name, f);
    return f;
  }

  /** addWaiting counts pending lock and permit waits; while any exist, the scheduler keeps the process alive. */
  addWaiting(delta: number): void {
    this.#waiting += delta;
    this.scheduler.keepAlive = this.#waiting > 0;
  }

  /** attach registers a client; the first one (re)starts the scheduler. */
  attach(): void {
    if (this.#clients++ === 0) this.scheduler.start();
  }

  /** detach unregisters a client; the last one stops the scheduler's timer (state is kept). */
  detach(): void {
    if (--this.#clients === 0) this.scheduler.stop();
  }
}

const stores = new Map<string, MemoryStore>();

/**
 * memoryStore returns the process-wide store of that name ('' is the default store), creating
 * it with `historyLimit` when it does not exist yet (an existing store keeps its limit).
 */
export function memoryStore(name: string, historyLimit?: number): MemoryStore {
  let s = stores.get(name);
  if (!s) {
    s = new MemoryStore();
    if (historyLimit !== undefined) s.historyLimit = historyLimit;
    stores.set(name, s);
  }
  return s;
}

/**
 * byName views the entries of `map` that `keep` accepts, sorted by name (UTF-16 code units, the
 * default string order), at most `limit` of them (default 1000). The listings of locks, pools and
 * dicts all page this way.
 */
export function byName<S, I extends { readonly name: string }>(
  map: Iterable<[string, S]>,
  keep: (key: string, state: S) => boolean,
  view: (key: string, state: S) => I,
  limit = 1000,
): I[] {
  const out: I[] = [];
  for (const [key, state] of map) if (keep(key, state)) out.push(view(key, state));
  out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return out.slice(0, limit);
}
