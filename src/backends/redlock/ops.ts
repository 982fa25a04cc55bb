/**
 * The per-master lock operations of Redlock, each one script on one master, with its reply
 * parsed, and the quorum context they run in. Acquire, fence write-back and inspect are
 * Redlock's own scripts; extend and release are the Redis backend's `lock_extend` and
 * `lock_release`, which do exactly what one master needs.
 *
 * Every function rejects with BackendUnavailableError when its master cannot be reached within
 * the per-instance timeout (the quorum logic counts that as "no answer").
 */
import type { KeyLayout, LockKeys } from '../redis/keys.js';
import {
  type Extended,
  LOCK_EXTEND,
  LOCK_RELEASE,
  type MasterGrant,
  REDLOCK_ACQUIRE,
  REDLOCK_FENCE,
} from '../redis/script-defs.js';
import type { Master } from './master.js';
import { gather, type Outcomes } from './quorum.js';

/** Redlock is what every quorum operation needs: the masters, the quorum and the key layout. */
export interface Redlock {
  readonly masters: readonly Master[];
  readonly quorum: number;
  readonly layout: KeyLayout;
  /** driftFactor is the fraction of a TTL assumed lost to clock drift (plus 2 ms). */
  readonly driftFactor: number;
}

export type { MasterGrant };

/** acquireOn takes the lock on one master: its fence counter on a grant, else the holder's digest and PTTL. */
export function acquireOn(
  m: Master,
  keys: LockKeys,
  token: string,
  ttlMs: number,
  owner: string | undefined,
): Promise<MasterGrant> {
  return m.call(REDLOCK_ACQUIRE, { keys, token, ttlMs, owner });
}

/** fenceOn writes a grant's fence back to one master; true when the token holds the lock there. */
export function fenceOn(m: Master, keys: LockKeys, token: string, fence: number): Promise<boolean> {
  return m.call(REDLOCK_FENCE, { keys, token, fence });
}

/**
 * extendOn resets the TTL on one master (undefined: the TTL stored there with the holder); the
 * fence recorded there and the TTL set, or null when the token does not hold it.
 */
export function extendOn(
  m: Master,
  keys: LockKeys,
  token: string,
  ttlMs: number | undefined,
): Promise<Extended> {
  // The lock index is written on every master by the lock client (listing.ts), not by the script.
  return m.call(LOCK_EXTEND, { name: '', holder: keys.holder, token, ttlMs });
}

/**
 * releaseOn frees the lock on one master if the token holds it; true when it did. `loud` publishes
 * on the lock's release channel (waking waiters); otherwise the message goes to a channel nobody
 * subscribes to (`<channel>:unheard`), for taking back a partial grant that woke nobody's interest.
 * The Redis backend's release script also names the lock's waiter queue: Redlock queues nobody
 * (its acquire is its own script), so the queue is empty and the message wakes every listener.
 */
export function releaseOn(m: Master, keys: LockKeys, token: string, loud: boolean): Promise<boolean> {
  const channel = loud ? keys.channel : `${keys.channel}:unheard`;
  return m.call(LOCK_RELEASE, { keys, token, channel });
}

/**
 * releaseAll sends the release to every master and resolves when `settleAtLeast` of them have
 * answered (default: all), so a frozen master does not delay a caller that does not need its
 * answer; the rest still run, in order after this client's earlier commands on that master.
 */
export function releaseAll(
  r: Redlock,
  keys: LockKeys,
  token: string,
  loud: boolean,
  settleAtLeast = r.masters.length,
): Promise<Outcomes<boolean>> {
  return gather(
    r.masters.length,
    (i) => releaseOn(r.masters[i]!, keys, token, loud),
    (o) => o.filter((x) => x !== undefined).length >= settleAtLeast,
  );
}

/** driftMs is the clock-drift allowance for a TTL: `ttl × driftFactor + 2` ms (as the Lease uses). */
export function driftMs(r: Redlock, ttlMs: number): number {
  return ttlMs * r.driftFactor + 2;
}
