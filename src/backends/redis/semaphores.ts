/**
 * RedisSemaphores: the semaphore contract on Redis, for one namespace (semaphores or rwlocks).
 * Each pool is a handful of keys in one hash slot (pool-keys.ts), changed only by the sem_*.lua
 * scripts, which read the clock with Redis TIME: holders with their own expiry, a FIFO queue of
 * waiters, the permit count fixed while the pool is in use, and a fence counter without TTL that
 * every grant increments.
 *
 * Waiting: the first attempt grants only when nobody waits and the count fits; otherwise the
 * caller joins the tail of the queue with a deadline WAITER_TTL_MS ahead. A waiter is granted by
 * its own poll (sem_poll.lua), and only at the head of the queue, so its lease starts at a
 * request it sent. It polls when it hears its own wake message on the pool's channel (published,
 * as `w:<SHA-1 of the head's token>`, when permits come back, the head changes, or a grant leaves
 * room for the next head — and only if the head fits then), when the first holder's
 * lease or the head's queue deadline runs out (an expiry publishes nothing), and at least every
 * POOL_WAITER_REFRESH_MS, which also renews its deadline. A waiter that crashes stops renewing
 * and is dropped from the queue within WAITER_TTL_MS; one that stalls longer than that rejoins at the tail.
 * Waiters that time out, are aborted, or whose client closes leave the queue (sem_leave.lua).
 *
 * Listing: a per-namespace sorted set of pool names scored by their latest holder expiry
 * (sem_index_touch.lua for each grant and extension). It has a key of its own, in another slot
 * than the pool's in Redis Cluster, so the client writes it as a separate command: beside the
 * pool's script on a first attempt and an extension (one round trip for both), after it for a
 * waiter's grant. `list` reads it, drops expired entries, and inspects each candidate, keeping
 * those with holders. It never scans the keyspace.
 *
 * How it fails: BackendUnavailableError when Redis cannot be reached within `timeoutMs` (also for
 * a waiter whose subscriber connection is lost, or whose client closes while it waits);
 * InvalidArgumentError from the store when `permits` differs from the count of a pool in use or
 * `count` exceeds it. An index write that fails is ignored: the grant stands, and the pool is
 * missing from listings until its next grant or extension.
 */

import { createHash } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { BackendUnavailableError } from '../../errors.js';
import { encodeFenceScope } from '../../fence-scope.js';
import type { ListFilter } from '../../list-filter.js';
import type { LockGrant } from '../../locks/backend.js';
import type {
  PermitRequest,
  SemaphoreBackend,
  SemaphoreCapabilities,
  SemaphoreInfo,
} from '../../locks/semaphore-backend.js';
import { byteOrder } from '../common/byte-order.js';
import { extendListed } from './extend.js';
import { WAITER_TTL_MS } from './lock-queue.js';
import type { PoolKeyLayout, PoolKeys } from './pool-keys.js';
import {
  type PoolAttempt,
  SEM_ACQUIRE,
  SEM_EXTEND,
  SEM_INDEX_READ,
  SEM_INDEX_TOUCH,
  SEM_INSPECT,
  SEM_LEAVE,
  SEM_POLL,
  SEM_RELEASE,
} from './script-defs.js';
import type { Scripts } from './scripts.js';
import { type Turn, waitTurn } from './waiting.js';
import type { LockWakeups } from './wakeups.js';

const CAPABILITIES: SemaphoreCapabilities = Object.freeze({
  fairOrdering: true,
  notifiedWaiting: true,
  minTtlMs: 1,
  listing: true,
});

/**
 * POOL_WAITER_REFRESH_MS is the longest a semaphore or rwlock waiter sleeps between polls (which
 * renew its place): four times per WAITER_TTL_MS (lock-queue.ts), where a lock waiter re-asks
 * every LOCK_WAITER_REFRESH_MS.
 */
export const POOL_WAITER_REFRESH_MS = 750;

/** LIST_BATCH is how many pools list() inspects at once. */
const LIST_BATCH = 100;

/** wakeMessageOf is the message sem_lib.lua's settle publishes to wake the waiter holding `token`. */
export function wakeMessageOf(token: string): string {
  return `w:${createHash('sha1').update(token).digest('hex')}`;
}

/** RedisSemaphores is one client's view of one namespace of pools on Redis. */
export class RedisSemaphores implements SemaphoreBackend {
  readonly capabilities = CAPABILITIES;
  readonly #scripts: Scripts;
  readonly #keys: PoolKeyLayout;
  readonly #wakeups: LockWakeups;
  readonly #closing = new AbortController();
  readonly #pending = new Set<Promise<unknown>>();

  /** constructor takes the scripts of the main client, the namespace's keys and the client's shared subscriber. */
  constructor(scripts: Scripts, keys: PoolKeyLayout, wakeups: LockWakeups) {
    this.#scripts = scripts;
    this.#keys = keys;
    this.#wakeups = wakeups;
    setMaxListeners(0, this.#closing.signal); // one listener per waiting acquire, each removed after
  }

  async acquire(name: string, req: PermitRequest): Promise<LockGrant | null> {
    this.#open();
    const running = this.#acquire(name, req);
    this.#pending.add(running);
    const done = () => this.#pending.delete(running);
    running.then(done, done);
    return running;
  }

  async extend(name: string, token: string, given: number | undefined): Promise<LockGrant | null> {
    this.#open();
    const keys = this.#keys.pool(name);
    return extendListed(
      given,
      () => this.#scripts.call(SEM_EXTEND, { keys, token, ttlMs: given }),
      (ttlMs) => this.#touchIndex(name, ttlMs),
    );
  }

  async release(name: string, token: string): Promise<boolean> {
    this.#open();
    return this.#scripts.call(SEM_RELEASE, { keys: this.#keys.pool(name), token });
  }

  async inspect(name: string): Promise<SemaphoreInfo> {
    this.#open();
    const view = await this.#scripts.call(SEM_INSPECT, { keys: this.#keys.pool(name) });
    return { name, ...view, holders: view.holders.sort((a, b) => a.fence - b.fence) };
  }

  async list(options: ListFilter = {}): Promise<SemaphoreInfo[]> {
    this.#open();
    const limit = options.limit ?? 1000;
    const prefix = options.prefix ?? '';
    const found = await this.#scripts.call(SEM_INDEX_READ, { index: this.#keys.index });
    const names = [...new Set(found.filter((n) => n.startsWith(prefix)))].sort(byteOrder);
    const out: SemaphoreInfo[] = [];
    for (let i = 0; i < names.length && out.length < limit; i += LIST_BATCH) {
      const infos = await Promise.all(names.slice(i, i + LIST_BATCH).map((n) => this.inspect(n)));
      for (const info of infos) if (info.holders.length > 0 && out.length < limit) out.push(info);
    }
    return out;
  }

  /** close fails this client's waits with BackendUnavailableError; each leaves its queue first. */
  async close(): Promise<void> {
    if (this.#closing.signal.aborted) return;
    this.#closing.abort(new BackendUnavailableError('baton client closed while waiting for permits'));
    await Promise.allSettled([...this.#pending]);
  }

  async #acquire(name: string, req: PermitRequest): Promise<LockGrant | null> {
    const started = performance.now();
    const keys = this.#keys.pool(name);
    const signal = req.signal ? AbortSignal.any([req.signal, this.#closing.signal]) : this.#closing.signal;
    const queue = req.waitMs > 0;
    // The index write goes beside the first attempt (sem_index_touch.lua says why that is safe).
    const [first] = await Promise.all([
      this.#attempt(SEM_ACQUIRE, name, keys, req),
      this.#touchIndex(name, req.ttlMs),
    ]);
    if (first.kind === 'granted') return this.#granted(name, keys, req, first, started, signal, true);
    if (!queue || first.kind === 'busy') return null;
    const deadline = started + req.waitMs;
    if (first.kind === 'held') {
      await pause(deadline - performance.now(), signal);
      return null;
    }
    let settled = false; // the grant is handed over (#granted takes it back on abort): do not leave
    try {
      return await waitTurn({
        wakeups: this.#wakeups,
        channel: keys.channel,
        message: wakeMessageOf(req.token),
        signal,
        deadline,
        refreshMs: POOL_WAITER_REFRESH_MS,
        poll: async (): Promise<Turn<LockGrant | null>> => {
          const polledAt = performance.now();
          const next = await this.#attempt(SEM_POLL, name, keys, req);
          switch (next.kind) {
            case 'granted':
              settled = true;
              return { done: true, value: await this.#granted(name, keys, req, next, polledAt, signal) };
            case 'held':
              settled = true; // this token holds permits already: nothing of ours to take back
              await pause(deadline - performance.now(), signal);
              return { done: true, value: null };
            case 'busy':
              return { done: true, value: null };
            default:
              return { done: false, retryMs: next.retryMs };
          }
        },
      });
    } finally {
      if (!settled) await this.#leave(keys, req.token);
    }
  }

  /** #attempt runs sem_acquire (first try; queues when the request may wait) or sem_poll once. */
  #attempt(
    script: typeof SEM_ACQUIRE | typeof SEM_POLL,
    name: string,
    keys: PoolKeys,
    req: PermitRequest,
  ): Promise<PoolAttempt> {
    return this.#scripts.call(script, {
      keys,
      token: req.token,
      permits: req.permits,
      count: req.count,
      ttlMs: req.ttlMs,
      owner: req.owner,
      queueMs: script === SEM_POLL || req.waitMs > 0 ? WAITER_TTL_MS : 0,
      label: encodeFenceScope({ kind: this.#keys.namespace, name }),
    });
  }

  /**
   * #granted hands a grant to its caller: unless the caller aborted (or the client closed) in the
   * meantime — then the permits go back before rethrowing — it records the pool in the listing
   * index (unless `indexed`: the write went beside the granting attempt) and returns the grant.
   */
  async #granted(
    name: string,
    keys: PoolKeys,
    req: PermitRequest,
    got: { fence: number; expiresAt: number },
    startedAt: number,
    signal: AbortSignal,
    indexed = false,
  ): Promise<LockGrant> {
    if (signal.aborted) {
      await this.#leave(keys, req.token);
      throw signal.reason;
    }
    if (!indexed) await this.#touchIndex(name, req.ttlMs);
    return { fence: got.fence, ttlMs: req.ttlMs, startedAt };
  }

  /** #leave takes `token` out of the queue (and gives back a grant it never handed over); best effort. */
  async #leave(keys: PoolKeys, token: string): Promise<void> {
    await this.#scripts.call(SEM_LEAVE, { keys, token }).catch(() => undefined);
  }

  /** #touchIndex records a holder of `name` for `ttlMs` from now in the listing index; best effort, never rejects. */
  async #touchIndex(name: string, ttlMs: number): Promise<void> {
    await this.#scripts
      .call(SEM_INDEX_TOUCH, { index: this.#keys.index, name, ttlMs })
      .catch(() => undefined);
  }

  #open(): void {
    if (this.#closing.signal.aborted) throw new BackendUnavailableError('baton client is closed');
  }
}

/** pause waits `ms` (Infinity: until aborted); rejects with `signal.reason` on abort. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  signal.throwIfAborted();
  if (ms <= 0) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    if (Number.isFinite(ms)) {
      timer = setTimeout(
        () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        },
        Math.min(Math.ceil(ms), 2 ** 31 - 1),
      );
    }
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
