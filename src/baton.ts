/**
 * Baton: a connected client — the entry point to locks and shared dicts. Made by `connect()`.
 * It holds the backend connections; `close()` releases them (held leases are not released:
 * they expire by their TTL, as they would if the process crashed).
 */

import { InvalidArgumentError, UnsupportedError } from './errors.js';
import type { FenceScope } from './fence-scope.js';
import type { LockBackend, LockCapabilities, LockInfo } from './locks/backend.js';
import { type Lease, type LeaseSettings, runHeld } from './locks/lease.js';
import { type AcquireOptions, Lock, type LockOptions } from './locks/lock.js';
import { RwLock, type RwLockInfo, rwLockInfo, Semaphore, type SemaphoreOptions } from './locks/semaphore.js';
import type { SemaphoreBackend, SemaphoreCapabilities, SemaphoreInfo } from './locks/semaphore-backend.js';
import { ELECTIONS_DICT, Election, electionLock } from './recipes/election.js';
import { Group } from './recipes/group.js';
import { groupDict } from './recipes/partitions.js';
import type { DictBackend, DictCapabilities, IssuedFence } from './shared-state/backend.js';
import type { JsonValue } from './shared-state/codec.js';
import { type DictSettings, SharedDict } from './shared-state/dict.js';
import { checkCacheOptions, NearCache, type NearCacheOptions } from './shared-state/near-cache.js';
import { BARRIERS_DICT, Barrier } from './sync/barrier.js';
import { EVENTS_DICT, SharedEvent } from './sync/event.js';
import { assertName } from './validation.js';

/** BatonSettings are the client-side rules chosen at connect time. */
export interface BatonSettings extends LeaseSettings, DictSettings {
  /**
   * fenceIssuedCheck: the dict store checks by itself that a fence was issued by its lock
   * (DictCapabilities.fenceIssuedCheck, and lock and dict in one store). When false, every
   * SharedDict of this client reads the lock's issued fence before a fenced write instead.
   */
  readonly fenceIssuedCheck: boolean;
}

/** DictOptions are the options of `baton.dict(name, options)`. */
export interface DictOptions {
  /**
   * cache gives this client a near cache of the dict: `get`, `getEntry` and `has` answered from
   * memory, kept current by one watch of the dict (see docs/API.md "Near cache" for exactly what
   * it promises). Every handle of the dict on this client shares it; the first fixes `maxEntries`.
   */
  readonly cache?: NearCacheOptions | undefined;
}

/** PoolBackends are the semaphore stores of a client: one namespace for semaphores, one for rwlocks. */
export interface PoolBackends {
  readonly semaphores: SemaphoreBackend;
  readonly rwlocks: SemaphoreBackend;
}

/** Baton is a connected client. */
export class Baton implements AsyncDisposable {
  readonly #locks: LockBackend;
  readonly #dicts: DictBackend;
  readonly #settings: BatonSettings;
  readonly #close: () => Promise<void>;
  readonly #pools: PoolBackends | string;
  /** #caches holds this client's near caches, one per cached dict. */
  readonly #caches = new Map<string, NearCache>();
  #closing: Promise<void> | undefined;

  /** @internal Use `connect()`. */
  constructor(
    locks: LockBackend,
    dicts: DictBackend,
    settings: BatonSettings,
    close: () => Promise<void>,
    pools: PoolBackends | string = 'this backend has no semaphores or read-write locks',
  ) {
    this.#pools = pools;
    this.#locks = locks;
    this.#dicts = dicts;
    // A lock store that reads issuance itself (Redis: with the dicts that accepted the scope's
    // fences) gives its own issuedFence; any other is asked through its inspect().
    this.#settings = settings.fenceIssuedCheck
      ? settings
      : { ...settings, issuedFence: settings.issuedFence ?? ((scope) => this.#issuedFence(scope)) };
    this.#close = close;
  }

  /** capabilities tells what the connected backends guarantee (fair ordering, TTL minimum, ownership guard…). */
  get capabilities(): {
    readonly locks: LockCapabilities;
    readonly dicts: DictCapabilities;
    readonly semaphores?: SemaphoreCapabilities | undefined;
  } {
    const dicts = this.#dicts.capabilities;
    // A composed client turns the ownership guard and the store's issuance check off whatever the dict store could do.
    return {
      locks: this.#locks.capabilities,
      dicts: {
        ...dicts,
        ownershipGuard: this.#settings.ownershipGuard,
        fenceIssuedCheck: this.#settings.fenceIssuedCheck,
      },
      semaphores: typeof this.#pools === 'string' ? undefined : this.#pools.semaphores.capabilities,
    };
  }

  /** lock returns a handle on the lock `name` (1-200 of A-Z a-z 0-9 . _ : -). InvalidArgumentError for a bad name or option. */
  lock(name: string, options: LockOptions = {}): Lock {
    return new Lock(assertName(name, 'lock'), this.#locks, options, this.#settings);
  }

  /**
   * withLock acquires `name`, runs `fn(lease)` while keeping the lease extended, releases it in
   * `finally`, and resolves to what `fn` returned. If the lease is lost while `fn` runs,
   * `lease.signal` aborts at once and withLock rejects with LockLostError after `fn` settles,
   * because the section was not exclusive to its end. LockTimeoutError when not granted within
   * `waitMs`. A release that fails because the backend is unreachable is not reported: the lock
   * then ends at its TTL.
   */
  async withLock<R>(
    name: string,
    fn: (lease: Lease) => Promise<R> | R,
    options: AcquireOptions = {},
  ): Promise<R> {
    const lease = await this.lock(name).acquire({ ...options, autoExtend: true });
    return runHeld(lease, fn);
  }

  /**
   * semaphore returns a handle on the semaphore `name` with `permits` leased permits (default 1),
   * fixed by the pool's first use. UnsupportedError on a backend without semaphores.
   */
  semaphore(name: string, options: SemaphoreOptions = {}): Semaphore {
    return new Semaphore(assertName(name, 'semaphore'), this.#pool('semaphores'), options, this.#settings);
  }

  /** rwlock returns a handle on the read-write lock `name`. UnsupportedError on a backend without them. */
  rwlock(name: string, options: LockOptions = {}): RwLock {
    return new RwLock(assertName(name, 'rwlock'), this.#pool('rwlocks'), options, this.#settings);
  }

  /** listSemaphores lists semaphores with at least one holder (never tokens). */
  async listSemaphores(options: { prefix?: string; limit?: number } = {}): Promise<SemaphoreInfo[]> {
    return this.#pool('semaphores').list(options);
  }

  /** listRwLocks lists read-write locks with at least one holder (never tokens). */
  async listRwLocks(options: { prefix?: string; limit?: number } = {}): Promise<RwLockInfo[]> {
    return (await this.#pool('rwlocks').list(options)).map(rwLockInfo);
  }

  #pool(kind: keyof PoolBackends): SemaphoreBackend {
    if (typeof this.#pools === 'string') throw new UnsupportedError(this.#pools);
    return this.#pools[kind];
  }

  /**
   * event returns a handle on the event `name` (set / clear / wait), kept in the reserved dict
   * `_baton.events`. InvalidArgumentError for a bad name.
   */
  event(name: string): SharedEvent {
    return new SharedEvent(assertName(name, 'event'), this.dict<true>(EVENTS_DICT));
  }

  /**
   * barrier returns a handle on the barrier `name` for `parties` callers (1 to 10 000), kept in
   * the reserved dict `_baton.barriers`. InvalidArgumentError for a bad name or count.
   */
  barrier(name: string, parties: number): Barrier {
    return new Barrier(assertName(name, 'barrier'), parties, this.dict(BARRIERS_DICT));
  }

  /**
   * election returns a handle on the election `name` (campaign / leader / observe): leadership is
   * a lease on the lock `_baton.election:<name>`, the leader's value an entry of the reserved dict
   * `_baton.elections`. InvalidArgumentError for a bad name (at most 180 characters).
   */
  election<V = JsonValue>(name: string): Election<V> {
    assertName(name, 'election');
    if (name.length > 180) throw new InvalidArgumentError('election name must be at most 180 characters');
    return new Election<V>(name, this.lock(electionLock(name)), this.dict(ELECTIONS_DICT));
  }

  /**
   * group returns a handle on the group `name` (join / members / watch, and partitions of a
   * membership), kept in the reserved dict `_baton.group:<name>` with partition locks
   * `_baton.partition:<name>:<p>`. InvalidArgumentError for a bad name (at most 170 characters).
   */
  group(name: string): Group {
    assertName(name, 'group');
    return new Group(name, this.dict(groupDict(name)), (lock) => this.lock(lock), this.#settings);
  }

  /**
   * #issuedFence reads the issued-fence counter of a fence scope (a lock's, a semaphore's or an
   * rwlock's) from the lock store: 0 where nothing was ever issued, or where this
   * client has no semaphores. BackendUnavailableError when the lock store cannot answer.
   */
  async #issuedFence(scope: FenceScope): Promise<IssuedFence> {
    if (scope.kind === 'lock') return { issued: (await this.#locks.inspect(scope.name)).fence };
    if (typeof this.#pools === 'string') return { issued: 0 };
    const pools = scope.kind === 'semaphore' ? this.#pools.semaphores : this.#pools.rwlocks;
    return { issued: (await pools.inspect(scope.name)).fence };
  }

  /**
   * dict returns a handle on the shared dict `name`; with `{ cache: { maxEntries } }`, one that
   * reads through this client's near cache of it. InvalidArgumentError for a bad name or option,
   * or a `maxEntries` other than the one this client's cache of the dict was made with.
   */
  dict<T = unknown>(name: string, options: DictOptions = {}): SharedDict<T> {
    assertName(name, 'dict');
    if (options === null || typeof options !== 'object') {
      throw new InvalidArgumentError('dict options must be an object { cache? }');
    }
    for (const k of Object.keys(options)) {
      if (k !== 'cache') throw new InvalidArgumentError(`dict has an unknown option ${JSON.stringify(k)}`);
    }
    let cache: NearCache | undefined;
    if (options.cache !== undefined) {
      const wanted = checkCacheOptions(options.cache);
      cache = this.#caches.get(name);
      if (cache && cache.maxEntries !== wanted.maxEntries) {
        throw new InvalidArgumentError(
          `dict ${JSON.stringify(name)} already has a near cache of maxEntries ${cache.maxEntries} on this client`,
        );
      }
      if (this.#closing === undefined && cache === undefined) {
        cache = new NearCache(this.#dicts, name, wanted);
        this.#caches.set(name, cache);
      }
    }
    // Every handle, cached or not, tells the client's cache of the dict about its writes (read-your-writes).
    return new SharedDict<T>(name, this.#dicts, this.#settings, cache, () => this.#caches.get(name));
  }

  /** listLocks lists the locks currently held (never their tokens). */
  listLocks(options: { prefix?: string; limit?: number } = {}): Promise<LockInfo[]> {
    return this.#locks.list(options);
  }

  /** listDicts lists dicts that have entries, where the backend can (UnsupportedError otherwise). */
  async listDicts(
    options: { prefix?: string; limit?: number } = {},
  ): Promise<Array<{ name: string; size: number }>> {
    if (!this.#dicts.listDicts) throw new UnsupportedError('this backend cannot list dicts');
    return this.#dicts.listDicts(options);
  }

  /** ping resolves when both backends answer; BackendUnavailableError otherwise. */
  async ping(): Promise<void> {
    await Promise.all([this.#locks.ping(), this.#dicts.ping()]);
  }

  /** close closes every connection of this client; idempotent. Held leases expire by their TTL. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      const caches = [...this.#caches.values()];
      this.#caches.clear();
      await Promise.all(caches.map((c) => c.close()));
      await this.#close();
    })();
    return this.#closing;
  }

  /** Symbol.asyncDispose closes the client (for `await using`). */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
