/**
 * MemoryPools: the one waiting machinery of the memory backend. A pool is a named set of leased
 * permits with a FIFO queue; a lock is the pool of one permit taken one at a time, so MemoryLocks
 * and MemorySemaphores are both thin subclasses of this base (each maps its request to a pool size
 * and count, and views a pool its own way), and every rule below holds for both.
 *
 * - A request is granted at once only when no one waits and its count fits; otherwise it queues
 *   (nobody barges past a waiting head). On release or expiry the queue is served from the head
 *   while the head's count fits, by direct hand-off, so no one can slip in between.
 * - Each holder has its own TTL and expiry timer on the store's Scheduler; a crashed holder's
 *   permits come back when its TTL ends.
 * - Fences come from the store's per-pool counter under the pool's key, which is never reset.
 * - An unused pool (no holder, no waiter) is forgotten; its size may then be set anew.
 *
 * How it fails: InvalidArgumentError when `permits` differs from the fixed count of a pool in use,
 * or `count` exceeds it (nothing changed); BackendUnavailableError once this client is closed (its
 * waits are cancelled with it); a wait rejects with `signal.reason` when its signal aborts.
 */

import { BackendUnavailableError, InvalidArgumentError } from '../../errors.js';
import type { ListFilter } from '../../list-filter.js';
import type {
  AcquireRequest,
  LeaseBackend,
  LeaseCapabilities,
  LeaseInfo,
  LockGrant,
} from '../../locks/backend.js';
import { ClientGate } from '../common/gate.js';
import { type PoolHolder, PoolState, type PoolWaiter } from './pool-state.js';
import { now } from './scheduler.js';
import type { SteadyMap } from './steady-map.js';
import { byName, type MemoryStore } from './store.js';

/** CAPABILITIES are the guarantees of every memory pool: locks and semaphores alike. */
const CAPABILITIES: LeaseCapabilities = Object.freeze({
  fairOrdering: true,
  notifiedWaiting: true,
  minTtlMs: 1,
  listing: true,
});

/**
 * MemoryPools is one client's view of one map of pools in a MemoryStore, serving the lease
 * primitives for requests `R` and public views `I`. A subclass says how a request maps to a
 * pool size and count (`acquire` calls `take`) and how a pool is viewed (`view`).
 */
export abstract class MemoryPools<R extends AcquireRequest, I extends LeaseInfo>
  implements LeaseBackend<R, I>
{
  readonly capabilities = CAPABILITIES;
  readonly #store: MemoryStore;
  readonly #pools: SteadyMap<string, PoolState>;
  /** #prefix is what a pool's key adds before its name ('' for locks, `semaphore/` for semaphores). */
  readonly #prefix: string;
  readonly #cancels = new Set<(err: Error) => void>();
  readonly #gate = new ClientGate();

  constructor(store: MemoryStore, pools: SteadyMap<string, PoolState>, prefix: string) {
    this.#store = store;
    this.#pools = pools;
    this.#prefix = prefix;
  }

  abstract acquire(name: string, req: R): Promise<LockGrant | null>;

  /** view is the public view of pool `name` (`state` undefined when the pool is unused). */
  protected abstract view(name: string, state: PoolState | undefined, fence: number): I;

  async extend(name: string, token: string, given: number | undefined): Promise<LockGrant | null> {
    this.open();
    const key = this.#prefix + name;
    const state = this.#pools.get(key);
    const holder = state?.holder(token);
    if (!state || !holder) return null;
    const startedAt = performance.now();
    const ttlMs = given ?? holder.ttlMs;
    holder.ttlMs = ttlMs;
    holder.expiresAt = now() + ttlMs;
    this.#scheduleExpiry(key, state, holder);
    return { fence: holder.fence, ttlMs, startedAt };
  }

  async release(name: string, token: string): Promise<boolean> {
    this.open();
    const key = this.#prefix + name;
    const state = this.#pools.get(key);
    const holder = state?.holder(token);
    if (!state || !holder) return false;
    this.#free(key, state, holder);
    return true;
  }

  async inspect(name: string): Promise<I> {
    this.open();
    const key = this.#prefix + name;
    return this.view(name, this.#pools.get(key), this.#store.fences.get(key) ?? 0);
  }

  /** list views the pools with at least one holder whose name starts with `prefix`, by name. */
  async list(options: ListFilter = {}): Promise<I[]> {
    this.open();
    const start = this.#prefix + (options.prefix ?? '');
    const keep = this.#prefix.length;
    return byName(
      this.#pools,
      (key, state) => state.holderCount > 0 && key.startsWith(start),
      (key, state) => this.view(key.slice(keep), state, this.#store.fences.get(key) ?? 0),
      options.limit,
    );
  }

  /** close cancels this client's waits (BackendUnavailableError) and refuses every later call. */
  async close(): Promise<void> {
    if (!this.#gate.close()) return;
    for (const cancel of [...this.#cancels])
      cancel(new BackendUnavailableError('baton client closed while waiting'));
  }

  /**
   * take takes `count` of the `permits` of pool `name` for `req.token`, waiting up to
   * `req.waitMs`. It answers synchronously when it need not wait (the uncontended lock cycle
   * stays free of extra promises), else with a promise of the grant or null at the deadline.
   */
  protected take(
    name: string,
    permits: number,
    count: number,
    req: AcquireRequest,
  ): LockGrant | null | Promise<LockGrant | null> {
    this.open();
    const key = this.#prefix + name;
    const state = this.#poolFor(key, permits, count);
    if (!state.holder(req.token) && state.waiters.length === 0 && state.used + count <= state.permits) {
      return this.#grant(key, state, req.token, count, req.ttlMs, req.owner);
    }
    if (req.waitMs <= 0 || req.signal?.aborted) {
      this.#dropIfUnused(key, state);
      req.signal?.throwIfAborted();
      return null;
    }
    return this.#wait(key, state, count, req);
  }

  /** open throws BackendUnavailableError once closed, else runs the expiries that are due. */
  protected open(): void {
    this.#gate.assertOpen();
    this.#store.scheduler.runDue();
  }

  /** #wait queues a request and settles when it is granted, times out, is aborted or cancelled. */
  #wait(key: string, state: PoolState, count: number, req: AcquireRequest): Promise<LockGrant | null> {
    const store = this.#store;
    return new Promise<LockGrant | null>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const finish = () => {
        if (timer) clearTimeout(timer);
        req.signal?.removeEventListener('abort', onAbort);
        this.#cancels.delete(cancel);
        store.addWaiting(-1);
      };
      const leave = () => {
        const i = state.waiters.indexOf(waiter);
        if (i >= 0) state.waiters.splice(i, 1);
        finish();
        this.#drain(key, state); // the head leaving may let the next ones in
      };
      const waiter: PoolWaiter = {
        token: req.token,
        count,
        ttlMs: req.ttlMs,
        owner: req.owner,
        grant: (grant) => {
          finish();
          resolve(grant);
        },
      };
      const onAbort = () => {
        leave();
        reject(req.signal?.reason);
      };
      const cancel = (err: Error) => {
        leave();
        reject(err);
      };
      state.waiters.push(waiter);
      store.addWaiting(1);
      this.#cancels.add(cancel);
      req.signal?.addEventListener('abort', onAbort, { once: true });
      if (Number.isFinite(req.waitMs)) {
        timer = setTimeout(() => {
          leave();
          resolve(null);
        }, req.waitMs);
      }
    });
  }

  /** #poolFor returns the pool, fixing its size on first use; InvalidArgumentError on a mismatch. */
  #poolFor(key: string, permits: number, count: number): PoolState {
    let state = this.#pools.get(key);
    if (!state) {
      state = new PoolState(permits);
      this.#pools.set(key, state);
    } else if (state.permits !== permits) {
      throw new InvalidArgumentError(
        `${key} has ${state.permits} permits while in use; this handle asked for ${permits}`,
      );
    }
    if (count > state.permits) {
      throw new InvalidArgumentError(`count ${count} exceeds the ${state.permits} permits of ${key}`);
    }
    return state;
  }

  #grant(
    key: string,
    state: PoolState,
    token: string,
    count: number,
    ttlMs: number,
    owner: string | undefined,
  ): LockGrant {
    const startedAt = performance.now();
    const fence = this.#store.nextFence(key);
    const holder: PoolHolder = {
      token,
      count,
      fence,
      owner,
      expiresAt: now() + ttlMs,
      ttlMs,
      timer: undefined,
    };
    state.add(holder);
    this.#scheduleExpiry(key, state, holder);
    return { fence, ttlMs, startedAt };
  }

  #scheduleExpiry(key: string, state: PoolState, holder: PoolHolder): void {
    const at = holder.expiresAt;
    this.#store.scheduler.cancel(holder.timer);
    holder.timer = this.#store.scheduler.at(at, () => {
      if (state.holder(holder.token) === holder && holder.expiresAt === at) this.#free(key, state, holder);
    });
  }

  /** #free returns a holder's permits and serves the queue. */
  #free(key: string, state: PoolState, holder: PoolHolder): void {
    this.#store.scheduler.cancel(holder.timer);
    state.remove(holder);
    this.#drain(key, state);
  }

  /** #drain grants waiters from the head while the head's count fits, then forgets the pool if unused. */
  #drain(key: string, state: PoolState): void {
    for (
      let head = state.waiters[0];
      head && state.used + head.count <= state.permits;
      head = state.waiters[0]
    ) {
      state.waiters.shift();
      head.grant(this.#grant(key, state, head.token, head.count, head.ttlMs, head.owner));
    }
    this.#dropIfUnused(key, state);
  }

  /** #dropIfUnused forgets an unused pool (its size may then be set anew; its fence counter stays). */
  #dropIfUnused(key: string, state: PoolState): void {
    if (state.holderCount === 0 && state.waiters.length === 0 && this.#pools.get(key) === state) {
      this.#pools.delete(key);
    }
  }
}
