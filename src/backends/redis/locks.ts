/**
 * RedisLocks: the lock contract on Redis. Acquire is one script and one round trip: if the holder
 * key is absent and nobody queued first, it increments the lock's fence counter (a key without
 * TTL in the same hash slot), stores the holder with PX = ttl and returns the fence; otherwise it
 * returns the holder's remaining TTL and, for a caller that may wait, takes a place in the lock's
 * FIFO queue (lock-queue.ts). A waiter then listens on the lock's release channel (one shared
 * subscriber connection per client, see wakeups.ts), retries once at once (a release may have
 * come before the subscription), and from then on retries when its release message is heard
 * (a release wakes only the waiter first in line), when the observed holder's TTL runs out (a
 * crashed holder publishes nothing), or every LOCK_WAITER_REFRESH_MS at the latest, which keeps
 * its place in line (a waiter not heard from for WAITER_TTL_MS loses it, so a crashed waiter
 * cannot block the queue). A waiter that gives up (timeout, abort, close) leaves the queue before it returns.
 *
 * FIFO (capabilities.fairOrdering): live waiters are granted in the order of their first attempt;
 * `tryAcquire` on a free lock with waiters in line is refused. How it fails:
 * BackendUnavailableError when Redis cannot be reached within `timeoutMs`, also for a waiter
 * whose subscriber connection is lost while it waits.
 */

import { BackendUnavailableError, NotReplicatedError } from '../../errors.js';
import type { ListFilter } from '../../list-filter.js';
import type * as C from '../../locks/backend.js';
import { ClientGate } from '../common/gate.js';
import type { RedisConnections } from './client.js';
import { extendListed } from './extend.js';
import type { KeyLayout, LockKeys } from './keys.js';
import { RedisLockListing } from './listing.js';
import { LOCK_WAITER_REFRESH_MS, newWaiterId, wakeMessage } from './lock-queue.js';
import {
  LOCK_ACQUIRE,
  LOCK_EXTEND,
  LOCK_INSPECT,
  LOCK_LEAVE,
  LOCK_RELEASE,
  type LockAttempt,
} from './script-defs.js';
import type { Scripts } from './scripts.js';
import { type Turn, waitTurn } from './waiting.js';
import type { LockWakeups } from './wakeups.js';

const CAPABILITIES: C.LockCapabilities = Object.freeze({
  fairOrdering: true,
  notifiedWaiting: true,
  minTtlMs: 1,
  listing: true,
});

/** Attempt is the answer of one acquire script call: a grant, or how long until asking again is worth it (-1: no such time). */
type Attempt = { grant: C.LockGrant; retryMs?: undefined } | { grant?: undefined; retryMs: number };

/** RedisLocks is one client's lock backend on Redis. */
export class RedisLocks implements C.LockBackend {
  readonly capabilities = CAPABILITIES;
  readonly #conns: RedisConnections;
  readonly #scripts: Scripts;
  readonly #keys: KeyLayout;
  readonly #wakeups: LockWakeups;
  /**
   * #listing lists held locks through the lock index. Where the index shares the node with the
   * locks (not in a cluster: `scripts.indexesLocks`) the acquire and extend scripts write it
   * themselves; otherwise the client sends `listing.touch` beside them.
   */
  readonly #listing: RedisLockListing;
  readonly #waiting = new Set<Promise<unknown>>();
  readonly #gate = new ClientGate();

  constructor(conns: RedisConnections, scripts: Scripts, keys: KeyLayout, wakeups: LockWakeups) {
    this.#conns = conns;
    this.#scripts = scripts;
    this.#keys = keys;
    this.#wakeups = wakeups;
    this.#listing = new RedisLockListing(scripts, keys.prefix, (n) => this.inspect(n));
  }

  async acquire(name: string, req: C.AcquireRequest): Promise<C.LockGrant | null> {
    this.#gate.assertOpen();
    const started = performance.now();
    const keys = this.#keys.lock(name);
    const waiter = req.waitMs > 0 ? newWaiterId() : '';
    const first = await this.#attempt(name, keys, req, waiter, true);
    if (first.grant) return first.grant;
    if (req.waitMs <= 0) return null;
    // From here the caller has a place in the queue; every way out but a grant gives it up.
    const waiting = this.#wait(name, keys, req, waiter, started + req.waitMs);
    this.#waiting.add(waiting);
    try {
      return await waiting;
    } finally {
      this.#waiting.delete(waiting);
    }
  }

  async extend(name: string, token: string, given: number | undefined): Promise<C.LockGrant | null> {
    this.#gate.assertOpen();
    const holder = this.#keys.lock(name).holder;
    return extendListed(
      given, // undefined: the script keeps the holder's stored TTL
      () => this.#scripts.call(LOCK_EXTEND, { name, holder, token, ttlMs: given }),
      this.#scripts.indexesLocks ? undefined : (ttlMs) => this.#listing.touch(name, ttlMs),
    );
  }

  async release(name: string, token: string): Promise<boolean> {
    this.#gate.assertOpen();
    return this.#scripts.call(LOCK_RELEASE, { keys: this.#keys.lock(name), token });
  }

  async inspect(name: string): Promise<C.LockInfo> {
    this.#gate.assertOpen();
    const { fence, holder } = await this.#scripts.call(LOCK_INSPECT, { keys: this.#keys.lock(name) });
    if (!holder) return { name, held: false, fence };
    const info: C.LockInfo = { name, held: true, fence, owner: holder.owner };
    return holder.expiresAt !== undefined ? { ...info, expiresAt: holder.expiresAt } : info;
  }

  /** list reads the lock index (listing.ts) and inspects the names it holds: no keyspace scan. */
  async list(options: ListFilter = {}): Promise<C.LockInfo[]> {
    this.#gate.assertOpen();
    return this.#listing.list(options);
  }

  async ping(): Promise<void> {
    this.#gate.assertOpen();
    await this.#conns.ping();
  }

  /**
   * close fails this client's waiters with BackendUnavailableError and lets them leave their
   * queues (the backend closes the connection after this resolves).
   */
  async close(): Promise<void> {
    if (!this.#gate.close()) return;
    await this.#wakeups.close();
    await Promise.allSettled([...this.#waiting]);
  }

  /** #wait waits for a grant after a refused first attempt, and leaves the queue unless granted. */
  async #wait(
    name: string,
    keys: LockKeys,
    req: C.AcquireRequest,
    waiter: string,
    deadline: number,
  ): Promise<C.LockGrant | null> {
    let granted = false;
    try {
      return await waitTurn({
        wakeups: this.#wakeups,
        channel: keys.channel,
        message: wakeMessage(waiter),
        signal: req.signal,
        deadline,
        refreshMs: LOCK_WAITER_REFRESH_MS,
        poll: async (): Promise<Turn<C.LockGrant>> => {
          this.#gate.assertOpen();
          const next = await this.#attempt(name, keys, req, waiter);
          if (!next.grant) return { done: false, retryMs: next.retryMs };
          granted = true;
          return { done: true, value: next.grant };
        },
      });
    } finally {
      if (!granted) await this.#leave(keys, waiter);
    }
  }

  /** #leave takes a waiter out of the queue; if Redis cannot be reached its entry lapses by itself. */
  async #leave(keys: LockKeys, waiter: string): Promise<void> {
    await this.#scripts.call(LOCK_LEAVE, { keys, waiter }).catch(() => undefined);
  }

  /**
   * #attempt runs the acquire script once (`waiter`: the caller's queue id, '' when it does not
   * wait); a grant to an aborted caller is released before rethrowing. The lock index
   * (listing.ts) is written by the script itself where it shares the node; in a cluster, on the
   * first attempt, its write is sent beside the script instead of after it, so an uncontended
   * acquire costs one round trip, not two: an entry for a lock this caller did not get is
   * harmless, because listing checks every name against the lock.
   */
  async #attempt(
    name: string,
    keys: LockKeys,
    req: C.AcquireRequest,
    waiter: string,
    first = false,
  ): Promise<Attempt> {
    const startedAt = performance.now();
    const touching = !this.#scripts.indexesLocks;
    const touched = first && touching ? this.#listing.touch(name, req.ttlMs) : undefined; // never rejects
    let r: LockAttempt;
    try {
      r = await this.#scripts.call(LOCK_ACQUIRE, {
        name,
        keys,
        token: req.token,
        ttlMs: req.ttlMs,
        owner: req.owner,
        waiter,
      });
    } catch (err) {
      // A grant too few replicas acknowledged (URL option replicas) is undone, never returned.
      if (err instanceof NotReplicatedError) await this.release(name, req.token).catch(() => undefined);
      throw err;
    }
    if (!r.granted) {
      await touched;
      return { retryMs: r.retryMs };
    }
    if (req.signal?.aborted || this.#gate.closed) {
      await this.release(name, req.token).catch(() => undefined);
      if (req.signal?.aborted) throw req.signal.reason;
      throw new BackendUnavailableError('baton client closed while acquiring');
    }
    if (touching) await (touched ?? this.#listing.touch(name, req.ttlMs));
    return { grant: { fence: r.fence, ttlMs: req.ttlMs, startedAt } };
  }
}
