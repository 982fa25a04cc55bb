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
import type { AcquireRequest, LeaseBackend, LeaseCapabilities, LeaseInfo } from './backend.js';

/** SemaphoreCapabilities describes what a semaphore backend guarantees (the lease capabilities, unchanged). */
export type SemaphoreCapabilities = LeaseCapabilities;

/**
 * PermitRequest is one attempt to take `count` of a pool's permits, waiting up to `waitMs`: a
 * lock's AcquireRequest (token, ttlMs, waitMs, owner, signal) with the pool's size and the count.
 */
export interface PermitRequest extends AcquireRequest {
  /** permits is the pool's size as the caller expects it: 1..MAX_PERMITS. */
  readonly permits: number;
  /** count is how many permits this holder takes: 1..permits. */
  readonly count: number;
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
export interface SemaphoreInfo extends LeaseInfo {
  /** permits is the pool's fixed size; 0 when the pool is unused (never held, or all holders gone). */
  readonly permits: number;
  /** used is the sum of the holders' counts. */
  readonly used: number;
  /** holders are the current holders, in grant order. */
  readonly holders: readonly PermitHolder[];
  /** waiting is the number of queued waiters, when the backend can tell cheaply. */
  readonly waiting?: number | undefined;
}

/**
 * SemaphoreBackend is the set of primitives a semaphore store implements: the lease primitives
 * over pools (acquire takes `req.count` permits; a token that already holds permits of the pool
 * is not granted again), listing the pools with at least one holder, by name.
 */
export type SemaphoreBackend = LeaseBackend<PermitRequest, SemaphoreInfo>;

/** MAX_PERMITS is the largest pool: 2^20 permits. */
export const MAX_PERMITS = 1 << 20;

/** RWLOCK_PERMITS is the pool size behind every rwlock: a reader takes 1, a writer takes all. */
export const RWLOCK_PERMITS = MAX_PERMITS;
