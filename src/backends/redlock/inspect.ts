/**
 * inspectLock: the public view of a Redlock lock, read from every master (listing.ts lists them).
 *
 * A lock is reported held when a quorum of masters agree on the same holder (compared by a
 * digest of its token computed on the master; the token itself never leaves the store). Then
 * `fence` is that holder's fence (the write-back recorded it in the holder hash on a quorum, so
 * any quorum of answers includes it), `owner` its label, and `expiresAt` the moment fewer than a
 * quorum of its keys remain (the quorum-th latest expiry, by each master's clock). When free,
 * `fence` is the largest fence counter any master answered: at least the last fence granted,
 * and more if a contender's failed round incremented counters after it.
 *
 * How it fails: BackendUnavailableError when fewer than a quorum of masters answer.
 */
import type { LockInfo } from '../../locks/backend.js';
import { type MasterView, REDLOCK_INSPECT } from '../redis/script-defs.js';
import type { Redlock } from './ops.js';
import { count, gather, noQuorum } from './quorum.js';

/** inspectLock reads lock `name` on every master and combines the answers (see the module comment). */
export async function inspectLock(r: Redlock, name: string): Promise<LockInfo> {
  const keys = r.layout.lock(name);
  const out = await gather(r.masters.length, (i) => r.masters[i]!.call(REDLOCK_INSPECT, { keys }));
  if (count(out, (x) => x.ok) < r.quorum) throw noQuorum('inspect', out, r.quorum);
  const views: MasterView[] = [];
  for (const x of out) if (x?.ok) views.push(x.value);

  const byHolder = new Map<string, NonNullable<MasterView['holder']>[]>();
  for (const v of views) {
    if (!v.holder) continue;
    const group = byHolder.get(v.holder.digest) ?? [];
    group.push(v.holder);
    byHolder.set(v.holder.digest, group);
  }
  const holder = [...byHolder.values()].find((g) => g.length >= r.quorum);
  if (!holder) return { name, held: false, fence: Math.max(0, ...views.map((v) => v.counter)) };

  const info: LockInfo = {
    name,
    held: true,
    fence: Math.max(...holder.map((h) => h.fence)),
    owner: holder.find((h) => h.owner !== undefined)?.owner,
  };
  const expiries = holder.map((h) => h.expiresAt ?? Number.POSITIVE_INFINITY).sort((a, b) => b - a);
  const expiresAt = expiries[r.quorum - 1]!;
  return Number.isFinite(expiresAt) ? { ...info, expiresAt } : info;
}
