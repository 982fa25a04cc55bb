/**
 * The semaphore backend contract: leased permits over a named pool, the one primitive under both
 * `baton.semaphore(name, { permits })` and `baton.rwlock(name)`.
 *
 * A pool has a fixed number of permits, set by the first acquire that finds the pool unused
 * (no holder and no waiter; an unused pool keeps only its fence counter and its permit count is
 * set anew). Each holder takes `count` permits under its own token with its own TTL, so a crashed
 * holder's permits come back when its TTL ends. Waiters are served in arrival order: a holder is
 * granted only when every waiter ahead of it has been granted and its count still fits. A large
 * request at the head of the queue therefore blocks smaller ones behind it; that is what keeps a
 * read-write lock's writer (count = all permits) from being starved by a stream of readers
 * (count = 1).
 *
 * Fences: one counter per pool, incremented by every grant. A grant's fence is greater than the
 * fence of every earlier grant of the pool, so a writer's fence exceeds every reader's before it.
 *
 * Every method rejects with a BatonError: BackendUnavailableError when the store cannot be
 * reached in time; InvalidArgumentError when `permits` differs from the pool's fixed count while
 * the pool is in use, or `count` exceeds it (checked in the store, atomically, nothing changed).
 * Names, counts and TTLs arrive already validated. One backend object serves one namespace
 * (semaphores or rwlocks); the two never share a pool.
 */
import type { LockGrant } from './backend.js';

/** SemaphoreCapabilities describes what a semaphore backend guarantees. */
export interface SemaphoreCapabilities {
  /** fairOrdering is true when waiters are granted in arrival order (FIFO, head-of-line). */
  readonly fairOrdering: boolean;
  /** notifiedWaiting is true when waiters are woken by a release or expiry event, not by polling. */
  readonly notifiedWaiting: boolean;
  /** minTtlMs is the smallest TTL the store grants; shorter requests are rounded up to it. */
  readonly minTtlMs: number;
  /** listing is true when `list()` enumerates pools in use without scanning the whole keyspace. */
  readonly listing: boolean;
}

/** PermitRequest is one attempt to take `count` of a pool's permits, waiting up to `waitMs`. */
export interface PermitRequest {
  /** token is the caller's random owner token; release and extend must present it. */
  readonly token: string;
  /** permits is the pool's size as the caller expects it: 1..MAX_PERMITS. */
  readonly permits: number;
  /** count is how many permits this holder takes: 1..permits. */
  readonly count: number;
  /** ttlMs is the lease length (1..2^31-1). */
  readonly ttlMs: number;
  /** waitMs: 0 tries once (and does not queue), Infinity waits for ever. */
  readonly waitMs: number;
  /** owner is a free-form label shown by inspect (never the token). */
  readonly owner?: string | undefined;
  /** signal cancels the wait; the backend then rejects with `signal.reason`, holds nothing, and leaves the queue. */
  readonly signal?: AbortSignal | undefined;
}

/** PermitHolder is the public view of one holder: never its token. */
export interface PermitHolder {
  readonly count: number;
  readonly fence: number;
  /** expiresAt in ms since the epoch by the store's clock. */
  readonly expiresAt: number;
  readonly owner?: string | undefined;
}

/** SemaphoreInfo is the public view of a pool. */
export interface SemaphoreInfo {
  readonly name: string;
  /** permits is the pool's fixed size; 0 when the pool is unused (never held, or all holders gone). */
  readonly permits: number;
  /** used is the sum of the holders' counts. */
  readonly used: number;
  /** fence is the last fence granted for this pool (0 if never granted). */
  readonly fence: number;
  /** holders are the current holders, in grant order. */
  readonly holders: readonly PermitHolder[];
  /** waiting is the number of queued waiters, when the backend can tell cheaply. */
  readonly waiting?: number | undefined;
}

/** SemaphoreBackend is the set of primitives a semaphore store implements. */
export interface SemaphoreBackend {
  readonly capabilities: SemaphoreCapabilities;
  /**
   * acquire takes `req.count` permits for `req.token`, waiting up to `req.waitMs` by
   * notification. Resolves to the grant, or null when not granted in time (leaving the queue).
   * A token that already holds permits of this pool is not granted again (null after the wait).
   */
  acquire(name: string, req: PermitRequest): Promise<LockGrant | null>;
  /** extend resets the TTL of `token`'s permits (without `ttlMs`: the TTL of its grant or last extension); null when it holds none. The fence is unchanged. */
  extend(name: string, token: string, ttlMs: number | undefined): Promise<LockGrant | null>;
  /** release returns `token`'s permits and wakes waiters; false when it held none. */
  release(name: string, token: string): Promise<boolean>;
  /** inspect reads the public state of one pool. */
  inspect(name: string): Promise<SemaphoreInfo>;
  /** list returns pools with at least one holder (bounded by `limit`, default 1000), by name. */
  list(options?: { prefix?: string; limit?: number }): Promise<SemaphoreInfo[]>;
  /** close cancels this client's waits and timers; the store keeps its state. */
  close(): Promise<void>;
}

/** MAX_PERMITS is the largest pool: 2^20 permits. */
export const MAX_PERMITS = 1 << 20;

/** RWLOCK_PERMITS is the pool size behind every rwlock: a reader takes 1, a writer takes all. */
export const RWLOCK_PERMITS = MAX_PERMITS;
