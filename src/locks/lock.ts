/**
 * Lock: a named, fenced, TTL'd mutual-exclusion lock. `acquire` waits by the backend's
 * notification (never by polling) up to `waitMs`; `tryAcquire` tries once. Each grant returns a
 * Lease with a fence that strictly increases per lock name.
 *
 * How it fails: LockTimeoutError when not granted within `waitMs`; the signal's reason when the
 * caller aborts; InvalidArgumentError for a bad TTL or wait (nothing is sent);
 * BackendUnavailableError when the store cannot be reached (no automatic retry: a crashed
 * backend is reported, not hidden).
 */
import { hostname } from 'node:os';
import { InvalidArgumentError, LockTimeoutError } from '../errors.js';
import { randomHex } from '../random.js';
import { assertTtl, assertWait, preview } from '../validation.js';
import type { LockBackend, LockInfo } from './backend.js';
import { Lease, type LeaseBackend, type LeaseSettings, localDeadline } from './lease.js';

/** LockOptions are defaults for every acquire of one Lock; each may be overridden per call. */
export interface LockOptions {
  /** ttlMs is the lease length: an integer from 1 to 2^31-1. Default 30 000. */
  readonly ttlMs?: number;
  /** waitMs is how long `acquire` waits: 0 to 2^31-1, or Infinity (the default). */
  readonly waitMs?: number;
  /** owner labels the holder in `inspect` (default `<hostname>/<pid>`). Never secret. */
  readonly owner?: string;
}

/** AcquireOptions override LockOptions for one call. */
export interface AcquireOptions extends LockOptions {
  /** signal cancels the wait; acquire then rejects with `signal.reason`. */
  readonly signal?: AbortSignal;
  /** autoExtend keeps the lease extended (every TTL/3) until it is released or lost. */
  readonly autoExtend?: boolean;
}

/** DEFAULT_LOCK_OPTIONS are the defaults for every lock. */
export const DEFAULT_LOCK_OPTIONS: Readonly<Required<Omit<LockOptions, 'owner'>>> = Object.freeze({
  ttlMs: 30_000,
  waitMs: Number.POSITIVE_INFINITY,
});

/** DEFAULT_OWNER labels holders that give no owner: `<hostname>/<pid>`. */
export const DEFAULT_OWNER = `${hostname()}/${process.pid}`;

/** newToken returns a random 128-bit owner token, hex encoded. */
export function newToken(): string {
  return randomHex(16);
}

/** Lock is a handle on one named lock; it holds nothing by itself. */
export class Lock {
  readonly name: string;
  readonly #backend: LockBackend;
  readonly #options: LockOptions;
  readonly #settings: LeaseSettings;

  /** @internal Locks are made by `baton.lock(name, options)`. */
  constructor(name: string, backend: LockBackend, options: LockOptions, settings: LeaseSettings) {
    this.name = name;
    this.#backend = backend;
    this.#options = options;
    this.#settings = settings;
    resolveOptions(options, {}); // validate the defaults early
  }

  /**
   * acquire waits up to `waitMs` for the lock and resolves to a Lease.
   * Rejects with LockTimeoutError when not granted in time.
   */
  async acquire(options: AcquireOptions = {}): Promise<Lease> {
    const opts = resolveOptions(this.#options, options);
    const lease = await this.#take(opts, options);
    if (!lease) throw new LockTimeoutError(this.name, opts.waitMs);
    return lease;
  }

  /** tryAcquire tries once and resolves to a Lease, or null when someone else holds the lock. */
  async tryAcquire(options: Omit<AcquireOptions, 'waitMs' | 'signal'> = {}): Promise<Lease | null> {
    const opts = resolveOptions(this.#options, { ...options, waitMs: 0 });
    return this.#take(opts, options);
  }

  /** inspect reads who holds the lock (never the token). */
  inspect(): Promise<LockInfo> {
    return this.#backend.inspect(this.name);
  }

  /**
   * extendToken extends a lease known only by its token (for proxies such as the baton server).
   * Without `ttlMs` it keeps the TTL of the lease's grant or last extension, as `Lease.extend()`
   * does. Resolves to the new fence and expiry, or null when the token does not hold the lock;
   * rejects with InvalidArgumentError for a bad `ttlMs`.
   */
  async extendToken(token: string, ttlMs?: number): Promise<TokenExtension | null> {
    const ttl = ttlMs !== undefined ? assertTtl(ttlMs) : undefined;
    return extendByToken(this.#backend, this.name, token, ttl, this.#settings);
  }

  /** releaseToken releases a lease known only by its token; false when the token did not hold it. */
  releaseToken(token: string): Promise<boolean> {
    return releaseByToken(this.#backend, this.name, token);
  }

  async #take(
    opts: Required<Omit<LockOptions, 'owner'>> & LockOptions,
    call: AcquireOptions,
  ): Promise<Lease | null> {
    call.signal?.throwIfAborted();
    const token = newToken();
    const grant = await this.#backend.acquire(this.name, {
      token,
      ttlMs: opts.ttlMs,
      waitMs: opts.waitMs,
      owner: opts.owner ?? DEFAULT_OWNER,
      signal: call.signal,
    });
    if (!grant) return null;
    const lease = new Lease(this.name, token, grant, this.#backend, this.#settings);
    if (call.autoExtend) lease.keepAlive();
    return lease;
  }
}

/** resolveOptions merges per-call options over a handle's defaults and validates them. */
export function resolveOptions(
  defaults: LockOptions,
  call: LockOptions,
): Required<Omit<LockOptions, 'owner'>> & LockOptions {
  // Spelled out rather than through a helper closure: this runs on every acquire, and the bundle
  // (esbuild keepNames) gives every closure made at run time its name by Object.defineProperty.
  // A null is not "not given": it reaches the checks (as before) instead of the defaults.
  const ttl = call.ttlMs !== undefined ? call.ttlMs : defaults.ttlMs;
  const wait = call.waitMs !== undefined ? call.waitMs : defaults.waitMs;
  const ttlMs = assertTtl(ttl === undefined ? DEFAULT_LOCK_OPTIONS.ttlMs : ttl);
  const waitMs = assertWait(wait === undefined ? DEFAULT_LOCK_OPTIONS.waitMs : wait);
  const owner = call.owner !== undefined ? call.owner : defaults.owner;
  if (owner !== undefined && (typeof owner !== 'string' || owner.length > 200)) {
    throw new InvalidArgumentError(
      `owner must be a string of at most 200 characters (got ${preview(owner)})`,
    );
  }
  return { ttlMs, waitMs, owner };
}

/** TokenExtension answers an extension by token: the lease's fence and its new TTL and expiry. */
export interface TokenExtension {
  readonly fence: number;
  readonly expiresAt: number;
  readonly ttlMs: number;
}

/**
 * extendByToken extends the lease `token` holds on `name` (for proxies such as the baton server,
 * which know a lease only by its token); null when the token holds nothing there.
 */
export async function extendByToken(
  backend: LeaseBackend,
  name: string,
  token: string,
  ttlMs: number | undefined,
  settings: LeaseSettings,
): Promise<TokenExtension | null> {
  const grant = await backend.extend(name, token, ttlMs);
  if (!grant) return null;
  return { fence: grant.fence, ttlMs: grant.ttlMs, expiresAt: expiresAtOf(grant, settings) };
}

/** releaseByToken releases the lease `token` holds on `name`; false when it holds nothing there. */
export function releaseByToken(backend: LeaseBackend, name: string, token: string): Promise<boolean> {
  if (typeof token !== 'string' || token.length === 0) return Promise.resolve(false);
  return backend.release(name, token);
}

/** expiresAtOf converts a grant to a conservative epoch-ms expiry. */
export function expiresAtOf(grant: { startedAt: number; ttlMs: number }, settings: LeaseSettings): number {
  return Math.floor(Date.now() + (localDeadline(grant, settings) - performance.now()));
}
