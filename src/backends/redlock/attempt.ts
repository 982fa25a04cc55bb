/**
 * attemptAcquire: one round of the Redlock algorithm, with fences.
 *
 * 1. Take `startedAt = performance.now()`, then run the acquire script on every master in
 *    parallel (each bounded by the per-instance timeout). A master grants when the lock is free
 *    there, incrementing its own fence counter in the same step.
 * 2. With grants from a quorum (⌊N/2⌋+1): fence = the largest counter among them. Write it back
 *    to every master (`redlock_fence.lua`: counter := max(counter, fence), and the fence is
 *    recorded in the holder hash where the token holds the lock) and wait for a quorum of masters
 *    that hold the lock for the token to confirm. This is what makes any later quorum meet a
 *    master that has seen the fence (the argument is in docs/SAFETY.md).
 * 3. validity = ttl − (now − startedAt) − drift. Only if it is still positive is the grant
 *    returned, so a lease is never handed out already expired (node-redlock #274/#276).
 * 4. Otherwise — no quorum, no confirmed write-back, or no validity left — release on every
 *    master and report why, so the caller knows whether and when to retry.
 *
 * Refusals are told apart by the holder digests the masters return: when one holder has a
 * quorum, the caller waits for its release message or for the moment enough of its keys will
 * have expired ('held'); when nobody has a quorum (a split vote among contenders, or a holder that
 * lost masters), every contender retries after a random delay ('split'), as Redlock prescribes.
 * A partial grant is taken back quietly (nobody is woken: nobody waits on a partial grant), and a
 * quorum grant given back (no validity left) is released loudly (waiters saw a holder).
 *
 * How it fails: BackendUnavailableError when fewer than a quorum of masters answer (the acquire
 * round, or the write-back); never a grant in that case.
 */
import type { LockGrant } from '../../locks/backend.js';
import type { LockKeys } from '../redis/keys.js';
import { acquireOn, driftMs, fenceOn, type MasterGrant, type Redlock, releaseAll } from './ops.js';
import { count, gather, noQuorum, type Outcomes, pendingCount } from './quorum.js';

/** Attempt is the result of one acquire round. */
export type Attempt =
  | { readonly kind: 'granted'; readonly grant: LockGrant }
  /** held: a holder has a quorum; retry on its release message or after `retryInMs`. */
  | { readonly kind: 'held'; readonly retryInMs: number }
  /** split: nobody has a quorum; retry after a random delay (at most `retryInMs`). */
  | { readonly kind: 'split'; readonly retryInMs: number };

/** AttemptRequest is one acquire round's input (ttlMs already raised to the backend minimum). */
export interface AttemptRequest {
  readonly token: string;
  readonly ttlMs: number;
  readonly owner?: string | undefined;
}

/** attemptAcquire runs one round (see the module comment). BackendUnavailableError without a quorum of answers. */
export async function attemptAcquire(r: Redlock, keys: LockKeys, req: AttemptRequest): Promise<Attempt> {
  const n = r.masters.length;
  const startedAt = performance.now();
  const round = await gather(
    n,
    (i) => acquireOn(r.masters[i]!, keys, req.token, req.ttlMs, req.owner),
    (o) => grants(o).length >= r.quorum || largestHolder(o) >= r.quorum,
  );
  const answered = n - pendingCount(round);
  const granted = grants(round);

  if (granted.length >= r.quorum) {
    const fence = Math.max(...granted);
    const confirmed = await writeBack(r, keys, req.token, fence);
    const validity = req.ttlMs - (performance.now() - startedAt) - driftMs(r, req.ttlMs);
    if (confirmed === true && validity > 0)
      return { kind: 'granted', grant: { fence, ttlMs: req.ttlMs, startedAt } };
    await releaseAll(r, keys, req.token, true, answered);
    if (confirmed !== true && confirmed !== false) throw confirmed;
    return { kind: 'split', retryInMs: Number.POSITIVE_INFINITY };
  }

  // Take back partial grants, and any a master still answering may yet make (its release is
  // queued behind its acquire on the same connection).
  if (granted.length > 0 || answered < n) await releaseAll(r, keys, req.token, false, answered);
  if (largestHolder(round) >= r.quorum) {
    return { kind: 'held', retryInMs: freeInMs(round, r.quorum - granted.length) };
  }
  if (count(round, (o) => o.ok) < r.quorum) throw noQuorum('acquire', round, r.quorum);
  return { kind: 'split', retryInMs: freeInMs(round, r.quorum - granted.length) };
}

/**
 * writeBack raises the fence counter of every master to `fence` and resolves true once a quorum
 * of masters holding the lock for `token` confirmed; false when that can no longer happen because
 * the token lost the lock somewhere; a BackendUnavailableError (resolved, not thrown) when too
 * few masters answered.
 */
async function writeBack(r: Redlock, keys: LockKeys, token: string, fence: number): Promise<boolean | Error> {
  const quorum = r.quorum;
  const held = (o: Outcomes<boolean>) => count(o, (x) => x.ok && x.value);
  const out = await gather(
    r.masters.length,
    (i) => fenceOn(r.masters[i]!, keys, token, fence),
    (o) => held(o) >= quorum || held(o) + pendingCount(o) < quorum,
  );
  if (held(out) >= quorum) return true;
  if (count(out, (x) => x.ok) >= quorum) return false;
  return noQuorum('acquire (fence write-back)', out, quorum);
}

/** grants lists the fence counters of the masters that granted. */
function grants(o: Outcomes<MasterGrant>): number[] {
  const out: number[] = [];
  for (const x of o) if (x?.ok && x.value.granted) out.push(x.value.counter);
  return out;
}

/** largestHolder is the number of masters held by the most widespread other holder. */
function largestHolder(o: Outcomes<MasterGrant>): number {
  const byHolder = new Map<string, number>();
  let best = 0;
  for (const x of o) {
    if (!x?.ok || x.value.granted) continue;
    const c = (byHolder.get(x.value.holder) ?? 0) + 1;
    byHolder.set(x.value.holder, c);
    best = Math.max(best, c);
  }
  return best;
}

/**
 * freeInMs is how long until `k` more masters could grant: the k-th smallest remaining TTL among
 * the masters that refused (Infinity when fewer than k refused with a TTL). Plus 1 ms, so the
 * retry comes after the expiry, not on it.
 */
function freeInMs(o: Outcomes<MasterGrant>, k: number): number {
  if (k <= 0) return 0;
  const ttls: number[] = [];
  for (const x of o) {
    if (x?.ok && !x.value.granted) ttls.push(x.value.pttl >= 0 ? x.value.pttl : Number.POSITIVE_INFINITY);
  }
  ttls.sort((a, b) => a - b);
  const t = ttls[k - 1];
  return t === undefined ? Number.POSITIVE_INFINITY : t + 1;
}
