/**
 * The waiter queue of a Redis lock, which makes Redis locks FIFO (see lock_acquire.lua). Two keys
 * beside the holder, in the same hash tag (so one slot on a cluster):
 *
 * ```
 * <prefix>lock:{<name>}:queue    zset  waiter id -> arrival ticket        (who is next)
 * <prefix>lock:{<name>}:alive    zset  waiter id -> deadline, ms by Redis  (who is still there)
 * ```
 *
 * A waiter takes a ticket on its first refused attempt and is granted only when the lock is free
 * and it is first in line; a release wakes just that waiter (message `w:<id>`). A waiter renews
 * its deadline by re-asking at least every LOCK_WAITER_REFRESH_MS; one not heard from for
 * WAITER_TTL_MS (crashed, or its process stalled that long) loses its place, so a dead waiter
 * delays the queue by at most WAITER_TTL_MS. A waiter that gives up leaves at once
 * (lock_leave.lua). Both keys expire WAITER_TTL_MS after the last waiter was heard from, so an
 * abandoned queue leaves nothing behind.
 */
import { randomHex } from '../../random.js';
import type { LockKeys } from './keys.js';

/**
 * WAITER_TTL_MS is how long a waiter in a Redis queue keeps its place without being heard from,
 * for locks and for semaphores and rwlocks (semaphores.ts) alike: a crashed waiter delays the
 * queue by at most this.
 */
export const WAITER_TTL_MS = 3000;

/**
 * LOCK_WAITER_REFRESH_MS is the longest a lock waiter goes without re-asking (which renews its
 * place in line): three times per WAITER_TTL_MS. Pool waiters use POOL_WAITER_REFRESH_MS.
 */
export const LOCK_WAITER_REFRESH_MS = 1000;

/** QueueKeys names the two queue keys of one lock. */
export interface QueueKeys {
  readonly queue: string;
  readonly alive: string;
}

/** queueKeys returns the queue keys of the lock whose keys are `keys`. */
export function queueKeys(keys: LockKeys): QueueKeys {
  return { queue: `${keys.holder}:queue`, alive: `${keys.holder}:alive` };
}

/** newWaiterId returns a random id for one waiting acquire (public: it is published on wake-up). */
export function newWaiterId(): string {
  return randomHex(8);
}

/** wakeMessage is the release-channel message that wakes waiter `id` alone. */
export function wakeMessage(id: string): string {
  return `w:${id}`;
}
