/**
 * The lock backend contract: the atomic primitives a store must give for baton's locks, and the
 * base it shares with the semaphore contract (src/locks/semaphore-backend.ts): a lock is the
 * one-permit case of a pool, so requests, grants, capabilities and the primitives are declared
 * once here (LeaseBackend) and each contract adds only what is its own. Retry, auto-extension,
 * client-side expiry and AbortSignal plumbing live above this, once, in src/locks. A backend
 * never sees a Lease; it sees names, tokens and milliseconds.
 *
 * Every method rejects with a BatonError: BackendUnavailableError when the store cannot be
 * reached in time, InvalidArgumentError for what the store itself refuses. Names and TTLs arrive
 * already validated.
 */
import type { ListFilter } from '../list-filter.js';

/**
 * LeaseCapabilities describes what a store of leased locks or permits guarantees, so callers and
 * tests can adapt. Lock and semaphore backends state the same four things.
 */
export interface LeaseCapabilities {
  /** fairOrdering is true when waiters are granted in arrival order (FIFO, head-of-line). */
  readonly fairOrdering: boolean;
  /** notifiedWaiting is true when waiters are woken by a release or expiry event, not by polling. */
  readonly notifiedWaiting: boolean;
  /** minTtlMs is the smallest TTL the store grants; shorter requests are rounded up to it. */
  readonly minTtlMs: number;
  /** listing is true when `list()` enumerates what is held without scanning the whole keyspace. */
  readonly listing: boolean;
}

/** LockCapabilities describes what a lock backend guarantees (the lease capabilities, unchanged). */
export type LockCapabilities = LeaseCapabilities;

/**
 * AcquireRequest is one attempt to take a lock, waiting up to `waitMs` for it: the request every
 * leased grant starts from. A semaphore's PermitRequest adds the pool size and a count to it; a
 * lock is the case of one permit taken from a pool of one.
 */
export interface AcquireRequest {
  /** token is the caller's random owner token; release and extend must present it. */
  readonly token: string;
  /** ttlMs is the lease length the caller asked for (already validated, 1..2^31-1). */
  readonly ttlMs: number;
  /** waitMs is how long to wait for a holder to go away: 0 tries once (and does not queue), Infinity waits for ever. */
  readonly waitMs: number;
  /** owner is a free-form label shown by inspect (never the token). */
  readonly owner?: string | undefined;
  /** signal cancels the wait; the backend then rejects with `signal.reason`, holds nothing, and leaves the queue. */
  readonly signal?: AbortSignal | undefined;
}

/** LockGrant is what a backend returns when the caller now holds the lock (or its permits). */
export interface LockGrant {
  /** fence strictly increases with every grant of this lock name (or pool), across all holders, ever. */
  readonly fence: number;
  /**
   * ttlMs is the TTL the lease is held for: the requested TTL raised to the backend's minTtlMs.
   * The store may hold it a little longer (etcd rounds leases up to whole seconds), never shorter,
   * so a deadline computed from it stays conservative.
   */
  readonly ttlMs: number;
  /**
   * startedAt is `performance.now()` taken on this process just before the request that set the
   * TTL was sent. The lease cannot outlive startedAt + ttlMs by the store's clock, so the
   * client-side deadline computed from it is conservative.
   */
  readonly startedAt: number;
}

/** LeaseInfo is what the public view of a lock or a pool starts with: never a token. */
export interface LeaseInfo {
  readonly name: string;
  /** fence is the last fence granted for this name (0 if never granted). */
  readonly fence: number;
}

/** LockInfo is the public view of a lock: never its token. */
export interface LockInfo extends LeaseInfo {
  readonly held: boolean;
  /** expiresAt is the holder's expiry in ms since the epoch by the store's clock, when held. */
  readonly expiresAt?: number | undefined;
  /** owner is the label the holder gave, when held and given. */
  readonly owner?: string | undefined;
}

/**
 * LeaseBackend is the set of primitives a store of leased grants implements, for requests of
 * type `R` and public views of type `I`. LockBackend and SemaphoreBackend are its two cases.
 */
export interface LeaseBackend<R extends AcquireRequest, I extends LeaseInfo> {
  readonly capabilities: LeaseCapabilities;
  /**
   * acquire takes the lock (or the requested permits) for `req.token`, waiting up to `req.waitMs`
   * by notification. Resolves to the grant, or null when not granted in time (out of the queue).
   * A token that already holds is not granted again: it resolves null after the wait like any
   * other contender. Rejects with `req.signal.reason` when aborted (holding nothing afterwards).
   */
  acquire(name: string, req: R): Promise<LockGrant | null>;
  /**
   * extend resets the TTL of what `token` holds; null when it holds nothing. Without `ttlMs`, the
   * TTL of the grant or last extension (stored with the holder) is used again. The fence is unchanged.
   */
  extend(name: string, token: string, ttlMs: number | undefined): Promise<LockGrant | null>;
  /** release frees what `token` holds and wakes waiters; false when it held nothing. */
  release(name: string, token: string): Promise<boolean>;
  /** inspect reads the public state of one lock or pool. */
  inspect(name: string): Promise<I>;
  /** list returns what is currently held (bounded by `limit`, default 1000). */
  list(options?: ListFilter): Promise<I[]>;
  /** close cancels this client's waits and timers and closes what it alone opened; the store keeps its state. */
  close(): Promise<void>;
}

/** LockBackend is the set of primitives a lock store implements: the lease primitives, and ping. */
export interface LockBackend extends LeaseBackend<AcquireRequest, LockInfo> {
  /** ping resolves when the store answers, else rejects with BackendUnavailableError. */
  ping(): Promise<void>;
}
