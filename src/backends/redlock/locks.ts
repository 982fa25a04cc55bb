/**
 * RedlockLocks: the lock contract over N independent Redis masters (the Redlock algorithm, with
 * fences; one round is in attempt.ts, the argument in docs/SAFETY.md).
 *
 * - acquire: one round; if refused and allowed to wait, subscribe to the lock's release channel
 *   on every master (waiting.ts) and retry when a release is heard, when enough of the holder's
 *   keys will have expired (a crashed holder publishes nothing), or — after a split vote, where
 *   nobody holds a quorum — after a random delay that doubles with each consecutive split (at
 *   most MAX_SPLIT_DELAY_MS). Never on a fixed interval.
 * - extend: reset the TTL on every master; granted when a quorum extended within the validity
 *   time; the fence is read back from the masters (the write-back recorded it there).
 * - release: on every master, publishing on each; true when a quorum released.
 *
 * Not FIFO (capabilities.fairOrdering false). TTLs below MIN_TTL_MS are raised to it: a round
 * and its write-back must fit inside the TTL with room to spare, or no lease could be returned.
 *
 * How it fails: BackendUnavailableError when fewer than a quorum of masters answer within the
 * per-instance timeout (acquire, extend, release, inspect, list, ping) — never a grant, never a
 * hang; also for a waiter whose client is closed. extend resolves null (LockLostError above) when
 * a quorum can no longer hold the token, or when the extension came back with no validity left
 * (the lock is then released, since its holder can no longer use it).
 */

import { setTimeout as sleep } from 'node:timers/promises';
import { BackendUnavailableError } from '../../errors.js';
import type { ListFilter } from '../../list-filter.js';
import type * as C from '../../locks/backend.js';
import type { LockKeys } from '../redis/keys.js';
import { type Attempt, type AttemptRequest, attemptAcquire } from './attempt.js';
import { inspectLock } from './inspect.js';
import { RedlockListing } from './listing.js';
import { driftMs, extendOn, type Redlock, releaseAll, releaseOn } from './ops.js';
import { count, gather, noQuorum, pendingCount } from './quorum.js';
import { ReleaseListener } from './waiting.js';

/** MIN_TTL_MS is the shortest lease Redlock grants (see the module comment). */
export const MIN_TTL_MS = 1000;
/** SPLIT_DELAY_MS is the first bound of the random delay after a split vote; it doubles per consecutive split. */
const SPLIT_DELAY_MS = 20;
/** MAX_SPLIT_DELAY_MS caps that bound. */
const MAX_SPLIT_DELAY_MS = 1000;

const CAPABILITIES: C.LockCapabilities = Object.freeze({
  fairOrdering: false,
  notifiedWaiting: true,
  minTtlMs: MIN_TTL_MS,
  listing: true,
});

/** RedlockLocks is one client's lock backend over a set of Redlock masters. */
export class RedlockLocks implements C.LockBackend {
  readonly capabilities = CAPABILITIES;
  readonly #r: Redlock;
  readonly #closing = new AbortController();
  readonly #listing: RedlockListing;

  constructor(redlock: Redlock) {
    this.#r = redlock;
    this.#listing = new RedlockListing(redlock);
  }

  async acquire(name: string, req: C.AcquireRequest): Promise<C.LockGrant | null> {
    this.#open();
    req.signal?.throwIfAborted();
    const started = performance.now();
    const keys = this.#r.layout.lock(name);
    const round: AttemptRequest = {
      token: req.token,
      ttlMs: Math.max(req.ttlMs, MIN_TTL_MS),
      owner: req.owner,
    };
    const first = await this.#attempt(keys, round, req.signal);
    if (first.kind === 'granted') return this.#listed(name, first.grant);
    if (req.waitMs <= 0) return null;
    const deadline = started + req.waitMs;
    const signal = req.signal ? AbortSignal.any([req.signal, this.#closing.signal]) : this.#closing.signal;
    const listener = await ReleaseListener.listen(this.#r.masters, keys.channel, this.#r.quorum);
    try {
      let splits = 0;
      for (;;) {
        listener.reset();
        this.#open();
        signal.throwIfAborted();
        const next = await this.#attempt(keys, round, req.signal);
        if (next.kind === 'granted') return this.#listed(name, next.grant);
        const left = deadline - performance.now();
        if (left <= 0) return null;
        if (next.kind === 'split') {
          const bound = Math.min(MAX_SPLIT_DELAY_MS, SPLIT_DELAY_MS * 2 ** Math.min(splits++, 10));
          await sleep(Math.min(left, next.retryInMs, Math.random() * bound), undefined, { signal });
        } else {
          splits = 0;
          await listener.wait(Math.min(left, next.retryInMs), signal);
        }
      }
    } catch (err) {
      // An abort ends a timer with an AbortError: answer with the reason the contract promises.
      if (req.signal?.aborted) throw req.signal.reason;
      if (this.#closing.signal.aborted) throw this.#closing.signal.reason;
      throw err;
    } finally {
      listener.leave();
    }
  }

  async extend(name: string, token: string, ttlMs: number | undefined): Promise<C.LockGrant | null> {
    this.#open();
    const r = this.#r;
    const n = r.masters.length;
    const asked = ttlMs === undefined ? undefined : Math.max(ttlMs, MIN_TTL_MS);
    const keys = r.layout.lock(name);
    const startedAt = performance.now();
    const out = await gather(
      n,
      (i) => extendOn(r.masters[i]!, keys, token, asked),
      (o) =>
        count(o, (x) => x.ok && x.value !== null) >= r.quorum ||
        count(o, (x) => x.ok && x.value === null) > n - r.quorum,
    );
    const fences: number[] = [];
    const ttls: number[] = [];
    for (const x of out) {
      if (x?.ok && x.value !== null) {
        fences.push(x.value.fence);
        ttls.push(x.value.ttlMs);
      }
    }
    if (fences.length >= r.quorum) {
      const ttl = Math.min(...ttls); // each master set its stored TTL when none was asked: vouch for the least
      const validity = ttl - (performance.now() - startedAt) - driftMs(r, ttl);
      if (validity > 0) return this.#listed(name, { fence: Math.max(...fences), ttlMs: ttl, startedAt });
      // Extended too late to vouch for: the lease is lost, so free the lock instead of blocking it.
      await releaseAll(r, keys, token, true, n - pendingCount(out));
      return null;
    }
    const refused = count(out, (x) => x.ok && x.value === null);
    if (refused > n - r.quorum) return null;
    throw noQuorum('extend', out, r.quorum, `${fences.length} extended, ${refused} did not hold the token`);
  }

  async release(name: string, token: string): Promise<boolean> {
    this.#open();
    const r = this.#r;
    const n = r.masters.length;
    const keys = r.layout.lock(name);
    const out = await gather(
      n,
      (i) => releaseOn(r.masters[i]!, keys, token, true),
      (o) => count(o, (x) => x.ok && x.value) >= r.quorum || count(o, (x) => x.ok && !x.value) > n - r.quorum,
    );
    const released = count(out, (x) => x.ok && x.value);
    const notHeld = count(out, (x) => x.ok && !x.value);
    if (released >= r.quorum) return true;
    if (notHeld > n - r.quorum) return false;
    throw noQuorum('release', out, r.quorum, `${released} released, ${notHeld} did not hold the token`);
  }

  async inspect(name: string): Promise<C.LockInfo> {
    this.#open();
    return inspectLock(this.#r, name);
  }

  /** list reads the lock index of every master (listing.ts) and inspects the names it holds: no keyspace scan. */
  async list(options: ListFilter = {}): Promise<C.LockInfo[]> {
    this.#open();
    return this.#listing.list(options);
  }

  async ping(): Promise<void> {
    this.#open();
    const r = this.#r;
    const out = await gather(r.masters.length, (i) => r.masters[i]!.ping());
    if (count(out, (x) => x.ok) < r.quorum) throw noQuorum('ping', out, r.quorum);
  }

  /** close ends this client's waits with BackendUnavailableError; the masters are closed by the backend. */
  async close(): Promise<void> {
    if (this.#closing.signal.aborted) return;
    this.#closing.abort(new BackendUnavailableError('baton client closed while waiting for a lock'));
  }

  /** #attempt runs one round; a grant to an aborted or closed caller is released (loudly) before rethrowing. */
  async #attempt(keys: LockKeys, round: AttemptRequest, signal: AbortSignal | undefined): Promise<Attempt> {
    const a = await attemptAcquire(this.#r, keys, round);
    if (a.kind !== 'granted' || !(signal?.aborted || this.#closing.signal.aborted)) return a;
    await releaseAll(this.#r, keys, round.token, true);
    if (signal?.aborted) throw signal.reason;
    throw new BackendUnavailableError('baton client closed while acquiring');
  }

  /** #listed records a grant or extension in the lock index (best effort), then returns it. */
  async #listed(name: string, grant: C.LockGrant): Promise<C.LockGrant> {
    await this.#listing.touch(name, grant.ttlMs);
    return grant;
  }

  #open(): void {
    if (this.#closing.signal.aborted) throw new BackendUnavailableError('baton client is closed');
  }
}
