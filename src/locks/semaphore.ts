/**
 * Semaphore and RwLock: leased permits over a named pool (see semaphore-backend.ts).
 *
 * `baton.semaphore(name, { permits })` hands out leases of `count` permits each; every lease has
 * its own TTL, so a crashed holder's permits come back when it expires. `baton.rwlock(name)` is a
 * pool of RWLOCK_PERMITS permits in its own namespace: a reader takes one, a writer takes all.
 * Waiters are served in arrival order, so a waiting writer holds back the readers that come after
 * it (no writer starvation) and waits only for the holders and waiters ahead of it.
 *
 * Leases are the same Lease class as a lock's (`fence`, `signal`, `extend`, `release`,
 * `keepAlive`, `await using`); their fence scope is `semaphore/<name>` or `rwlock/<name>`.
 *
 * How it fails: LockTimeoutError (named `semaphore/<name>` or `rwlock/<name>`) when not granted
 * within `waitMs`; the signal's reason when aborted; InvalidArgumentError for a bad option, or
 * from the store when `permits` differs from the pool's fixed count while it is in use;
 * BackendUnavailableError when the store cannot be reached.
 */
import { InvalidArgumentError, LockTimeoutError } from '../errors.js';
import { encodeFenceScope, type FenceScope } from '../fence-scope.js';
import { assertCount } from '../validation.js';
import { Lease, type LeaseSettings, runHeld } from './lease.js';
import {
  type AcquireOptions,
  DEFAULT_OWNER,
  extendByToken,
  type LockOptions,
  newToken,
  releaseByToken,
  resolveOptions,
  type TokenExtension,
} from './lock.js';
import {
  MAX_PERMITS,
  RWLOCK_PERMITS,
  type SemaphoreBackend,
  type SemaphoreInfo,
} from './semaphore-backend.js';

/** SemaphoreOptions are a semaphore handle's defaults; `permits` is the pool size (default 1). */
export interface SemaphoreOptions extends LockOptions {
  /** permits is the pool's size, 1 to 2^20, fixed by the first use of the pool. Default 1. */
  readonly permits?: number;
}

/** PermitOptions override the defaults for one acquire; `count` permits are taken (default 1). */
export interface PermitOptions extends AcquireOptions {
  /** count is how many permits this lease takes, 1 to `permits`. Default 1. */
  readonly count?: number;
}

/** Pool is the acquire/inspect logic shared by Semaphore and RwLock. */
class Pool {
  readonly name: string;
  readonly scope: FenceScope;
  readonly permits: number;
  readonly #backend: SemaphoreBackend;
  readonly #options: LockOptions;
  readonly #settings: LeaseSettings;

  constructor(
    kind: 'semaphore' | 'rwlock',
    name: string,
    permits: number,
    backend: SemaphoreBackend,
    options: LockOptions,
    settings: LeaseSettings,
  ) {
    this.name = name;
    this.scope = Object.freeze({ kind, name });
    this.permits = permits;
    this.#backend = backend;
    this.#options = options;
    this.#settings = settings;
    resolveOptions(options, {}); // validate the defaults early
  }

  async take(count: number, call: AcquireOptions, tryOnce: boolean): Promise<Lease | null> {
    const opts = resolveOptions(this.#options, tryOnce ? { ...call, waitMs: 0 } : call);
    call.signal?.throwIfAborted();
    const token = newToken();
    const grant = await this.#backend.acquire(this.name, {
      token,
      permits: this.permits,
      count,
      ttlMs: opts.ttlMs,
      waitMs: opts.waitMs,
      owner: opts.owner ?? DEFAULT_OWNER,
      signal: call.signal,
    });
    if (!grant) {
      if (tryOnce) return null;
      throw new LockTimeoutError(encodeFenceScope(this.scope), opts.waitMs);
    }
    const lease = new Lease(this.name, token, grant, this.#backend, this.#settings, this.scope);
    if (call.autoExtend) lease.keepAlive();
    return lease;
  }

  inspect(): Promise<SemaphoreInfo> {
    return this.#backend.inspect(this.name);
  }

  async extendToken(token: string, ttlMs: number | undefined): Promise<TokenExtension | null> {
    const ttl = ttlMs !== undefined ? resolveOptions(this.#options, { ttlMs }).ttlMs : undefined;
    return extendByToken(this.#backend, this.name, token, ttl, this.#settings);
  }

  releaseToken(token: string): Promise<boolean> {
    return releaseByToken(this.#backend, this.name, token);
  }
}

/** TokenLeases extends and releases leases known only by their token (for proxies such as the baton server). */
export interface TokenLeases {
  /** extendToken resets the TTL of `token`'s permits (default: the TTL of its grant or last extension); null when it holds none. */
  extendToken(token: string, ttlMs?: number): Promise<TokenExtension | null>;
  /** releaseToken returns `token`'s permits; false when it held none. */
  releaseToken(token: string): Promise<boolean>;
}

/** Semaphore is a handle on a pool of leased permits; it holds nothing by itself. */
export class Semaphore implements TokenLeases {
  readonly #pool: Pool;

  /** @internal Made by `baton.semaphore(name, options)`. */
  constructor(name: string, backend: SemaphoreBackend, options: SemaphoreOptions, settings: LeaseSettings) {
    const permits = assertCount(options.permits ?? 1, MAX_PERMITS, 'permits');
    const { permits: _p, ...lockOptions } = options;
    this.#pool = new Pool('semaphore', name, permits, backend, lockOptions, settings);
  }

  /** name is the semaphore's name. */
  get name(): string {
    return this.#pool.name;
  }

  /** permits is the pool size this handle expects. */
  get permits(): number {
    return this.#pool.permits;
  }

  /** acquire waits up to `waitMs` for `count` permits (default 1); LockTimeoutError when not granted in time. */
  async acquire(options: PermitOptions = {}): Promise<Lease> {
    const lease = await this.#pool.take(this.#count(options.count), options, false);
    return lease as Lease;
  }

  /** tryAcquire tries once (without queueing) and resolves to a Lease, or null when the permits are not free. */
  tryAcquire(options: Omit<PermitOptions, 'waitMs' | 'signal'> = {}): Promise<Lease | null> {
    return this.#pool.take(this.#count(options.count), options, true);
  }

  /** withPermits runs `fn` holding `count` permits, kept extended, released in `finally` (like withLock). */
  async withPermits<R>(fn: (lease: Lease) => Promise<R> | R, options: PermitOptions = {}): Promise<R> {
    const lease = await this.acquire({ ...options, autoExtend: true });
    return runHeld(lease, fn);
  }

  /** inspect reads the pool: permits, used, holders (never tokens), last fence. */
  inspect(): Promise<SemaphoreInfo> {
    return this.#pool.inspect();
  }

  /** extendToken extends a lease known only by its token (for proxies); null when it holds no permits. */
  extendToken(token: string, ttlMs?: number): Promise<TokenExtension | null> {
    return this.#pool.extendToken(token, ttlMs);
  }

  /** releaseToken releases a lease known only by its token; false when it held no permits. */
  releaseToken(token: string): Promise<boolean> {
    return this.#pool.releaseToken(token);
  }

  #count(count: unknown): number {
    if (count === undefined) return 1;
    if (
      typeof count === 'number' &&
      Number.isInteger(count) &&
      count > this.#pool.permits &&
      count <= MAX_PERMITS
    ) {
      throw new InvalidArgumentError(`count ${count} exceeds the semaphore's ${this.#pool.permits} permits`);
    }
    return assertCount(count, this.#pool.permits, 'count');
  }
}

/**
 * RwLock is a handle on a read-write lock: many readers or one writer, served in arrival order
 * (a waiting writer holds back later readers). Fences: one counter per rwlock; a writer's fence is
 * greater than the fence of every earlier grant, read or write.
 */
export class RwLock implements TokenLeases {
  readonly #pool: Pool;

  /** @internal Made by `baton.rwlock(name, options)`. */
  constructor(name: string, backend: SemaphoreBackend, options: LockOptions, settings: LeaseSettings) {
    this.#pool = new Pool('rwlock', name, RWLOCK_PERMITS, backend, options, settings);
  }

  /** name is the rwlock's name. */
  get name(): string {
    return this.#pool.name;
  }

  /** read waits for a shared (read) lease; LockTimeoutError when not granted within `waitMs`. */
  async read(options: AcquireOptions = {}): Promise<Lease> {
    return (await this.#pool.take(1, options, false)) as Lease;
  }

  /** write waits for the exclusive (write) lease; LockTimeoutError when not granted within `waitMs`. */
  async write(options: AcquireOptions = {}): Promise<Lease> {
    return (await this.#pool.take(RWLOCK_PERMITS, options, false)) as Lease;
  }

  /** tryRead tries once for a read lease; null when a writer holds or waits. */
  tryRead(options: Omit<AcquireOptions, 'waitMs' | 'signal'> = {}): Promise<Lease | null> {
    return this.#pool.take(1, options, true);
  }

  /** tryWrite tries once for the write lease; null when anyone holds or waits. */
  tryWrite(options: Omit<AcquireOptions, 'waitMs' | 'signal'> = {}): Promise<Lease | null> {
    return this.#pool.take(RWLOCK_PERMITS, options, true);
  }

  /** withRead runs `fn` under a read lease kept extended, released in `finally` (like withLock). */
  async withRead<R>(fn: (lease: Lease) => Promise<R> | R, options: AcquireOptions = {}): Promise<R> {
    return runHeld(await this.read({ ...options, autoExtend: true }), fn);
  }

  /** withWrite runs `fn` under the write lease kept extended, released in `finally` (like withLock). */
  async withWrite<R>(fn: (lease: Lease) => Promise<R> | R, options: AcquireOptions = {}): Promise<R> {
    return runHeld(await this.write({ ...options, autoExtend: true }), fn);
  }

  /** inspect reads the rwlock: its holders (a writer holds all permits), readers or writer, last fence. */
  async inspect(): Promise<RwLockInfo> {
    return rwLockInfo(await this.#pool.inspect());
  }

  /** extendToken extends a read or write lease known only by its token (for proxies); null when it holds none. */
  extendToken(token: string, ttlMs?: number): Promise<TokenExtension | null> {
    return this.#pool.extendToken(token, ttlMs);
  }

  /** releaseToken releases a read or write lease known only by its token; false when it held none. */
  releaseToken(token: string): Promise<boolean> {
    return this.#pool.releaseToken(token);
  }
}

/** RwLockInfo is the public view of a read-write lock. */
export interface RwLockInfo {
  readonly name: string;
  /** mode is 'write' when a writer holds it, 'read' when readers do, 'free' otherwise. */
  readonly mode: 'free' | 'read' | 'write';
  readonly readers: number;
  readonly fence: number;
  readonly holders: ReadonlyArray<{
    mode: 'read' | 'write';
    fence: number;
    expiresAt: number;
    owner?: string | undefined;
  }>;
  readonly waiting?: number | undefined;
}

/** rwLockInfo turns a pool's view into a read-write lock's. */
export function rwLockInfo(info: SemaphoreInfo): RwLockInfo {
  const holders = info.holders.map((h) => ({
    mode: h.count >= RWLOCK_PERMITS ? ('write' as const) : ('read' as const),
    fence: h.fence,
    expiresAt: h.expiresAt,
    ...(h.owner !== undefined ? { owner: h.owner } : {}),
  }));
  const readers = holders.filter((h) => h.mode === 'read').length;
  const mode = holders.some((h) => h.mode === 'write') ? 'write' : readers > 0 ? 'read' : 'free';
  return {
    name: info.name,
    mode,
    readers,
    fence: info.fence,
    holders,
    ...(info.waiting !== undefined ? { waiting: info.waiting } : {}),
  };
}
