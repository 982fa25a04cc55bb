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
import { queueKeys } from '../redis/lock-queue.js';
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

/** MasterGrant is one master's answer to an acquire. */
export type MasterGrant =
  | { readonly granted: true; readonly counter: number }
  | { readonly granted: false; readonly pttl: number; readonly holder: string };

/** acquireOn takes the lock on one master: its fence counter on a grant, else the holder's digest and PTTL. */
export async function acquireOn(
  m: Master,
  keys: LockKeys,
  token: string,
  ttlMs: number,
  owner: string | undefined,
): Promise<MasterGrant> {
  const r = (await m.runOwn(
    'acquire',
    [keys.holder, keys.fence],
    [token, ttlMs, owner ?? '', owner === undefined ? '0' : '1'],
  )) as [number, number, string?];
  if (r[0] === 1) return { granted: true, counter: Number(r[1]) };
  return { granted: false, pttl: Number(r[1]), holder: String(r[2] ?? '') };
}

/** fenceOn writes a grant's fence back to one master; true when the token holds the lock there. */
export async function fenceOn(m: Master, keys: LockKeys, token: string, fence: number): Promise<boolean> {
  return (await m.runOwn('fence', [keys.holder, keys.fence], [token, String(fence)])) === 1;
}

/**
 * extendOn resets the TTL on one master (undefined: the TTL stored there with the holder); the
 * fence recorded there and the TTL set, or null when the token does not hold it.
 */
export async function extendOn(
  m: Master,
  keys: LockKeys,
  token: string,
  ttlMs: number | undefined,
): Promise<{ fence: number; ttlMs: number } | null> {
  const r = (await m.run('lockExtend', [keys.holder], [token, ttlMs ?? ''])) as number[];
  return r[0] === 1 ? { fence: Number(r[1]), ttlMs: Number(r[2]) } : null;
}

/**
 * releaseOn frees the lock on one master if the token holds it; true when it did. `loud` publishes
 * on the lock's release channel (waking waiters); otherwise the message goes to a channel nobody
 * subscribes to (`<channel>:unheard`), for taking back a partial grant that woke nobody's interest.
 * The Redis backend's release script also names the lock's waiter queue: Redlock queues nobody
 * (its acquire is its own script), so the queue is empty and the message wakes every listener.
 */
export async function releaseOn(m: Master, keys: LockKeys, token: string, loud: boolean): Promise<boolean> {
  const channel = loud ? keys.channel : `${keys.channel}:unheard`;
  const q = queueKeys(keys);
  return (await m.run('lockRelease', [keys.holder, q.queue, q.alive], [token, channel])) === 1;
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
