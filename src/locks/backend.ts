/**
 * The lock backend contract: the atomic primitives a store must give for baton's locks. Retry,
 * auto-extension, client-side expiry and AbortSignal plumbing live above this, once, in
 * src/locks. A backend never sees a Lease; it sees names, tokens and milliseconds.
 *
 * Every method rejects with a BatonError: BackendUnavailableError when the store cannot be
 * reached in time, InvalidArgumentError for what the store itself refuses. Names and TTLs arrive
 * already validated.
 */

/** LockCapabilities describes what a lock backend guarantees, so callers and tests can adapt. */
export interface LockCapabilities {
  /** fairOrdering is true when waiters are granted in arrival order (FIFO). */
  readonly fairOrdering: boolean;
  /** notifiedWaiting is true when waiters are woken by a release or expiry event, not by polling. */
  readonly notifiedWaiting: boolean;
  /** minTtlMs is the smallest TTL the store grants; shorter requests are rounded up to it. */
  readonly minTtlMs: number;
  /** listing is true when `list()` can enumerate held locks without scanning the whole keyspace. */
  readonly listing: boolean;
}

/** AcquireRequest is one attempt to take a lock, waiting up to `waitMs` for it. */
export interface AcquireRequest {
  /** token is the caller's random owner token; release and extend must present it. */
  readonly token: string;
  /** ttlMs is the lease length the caller asked for (already validated, 1..2^31-1). */
  readonly ttlMs: number;
  /** waitMs is how long to wait for a holder to go away: 0 tries once, Infinity waits for ever. */
  readonly waitMs: number;
  /** owner is a free-form label shown by inspect (never the token). */
  readonly owner?: string | undefined;
  /** signal cancels the wait; the backend then rejects with `signal.reason` and holds nothing. */
  readonly signal?: AbortSignal | undefined;
}

/** LockGrant is what a backend returns when the caller now holds the lock. */
export interface LockGrant {
  /** fence strictly increases with every grant of this lock name, across all holders, ever. */
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

/** LockInfo is the public view of a lock: never its token. */
export interface LockInfo {
  readonly name: string;
  readonly held: boolean;
  /** fence is the last fence granted for this name (0 if never granted). */
  readonly fence: number;
  /** expiresAt is the holder's expiry in ms since the epoch by the store's clock, when held. */
  readonly expiresAt?: number | undefined;
  /** owner is the label the holder gave, when held and given. */
  readonly owner?: string | undefined;
}

/** LockBackend is the set of primitives a lock store implements. */
export interface LockBackend {
  readonly capabilities: LockCapabilities;
  /**
   * acquire takes the lock for `req.token`, waiting up to `req.waitMs` by notification.
   * Resolves to the grant, or null when not granted in time. Re-acquiring with the token of the
   * current holder is not allowed to grant twice: it resolves null after the wait like any other
   * contender. Rejects with `req.signal.reason` when aborted (holding nothing afterwards).
   */
  acquire(name: string, req: AcquireRequest): Promise<LockGrant | null>;
  /**
   * extend resets the TTL of the lock if `token` holds it; null when it does not. Without
   * `ttlMs`, the TTL of the grant or last extension (stored with the holder) is used again.
   */
  extend(name: string, token: string, ttlMs: number | undefined): Promise<LockGrant | null>;
  /** release frees the lock if `token` holds it and wakes a waiter; false when it did not hold it. */
  release(name: string, token: string): Promise<boolean>;
  /** inspect reads the public state of one lock. */
  inspect(name: string): Promise<LockInfo>;
  /** list returns the currently held locks (bounded by `limit`, default 1000). */
  list(options?: { prefix?: string; limit?: number }): Promise<LockInfo[]>;
  /** ping resolves when the store answers, else rejects with BackendUnavailableError. */
  ping(): Promise<void>;
  /** close cancels this client's waits and timers and closes its connections; the store keeps its state. */
  close(): Promise<void>;
}
