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
import type { Redlock } from './ops.js';
import { count, gather, noQuorum } from './quorum.js';

/** MasterView is one master's answer to redlock_inspect. */
interface MasterView {
  readonly counter: number;
  readonly holder?: {
    readonly digest: string;
    readonly fence: number;
    readonly owner?: string;
    readonly expiresAt?: number;
  };
}

type InspectReply = [number, number, string | null, number, string | null, number, string];

/** inspectLock reads lock `name` on every master and combines the answers (see the module comment). */
export async function inspectLock(r: Redlock, name: string): Promise<LockInfo> {
  const keys = r.layout.lock(name);
  const out = await gather(r.masters.length, async (i): Promise<MasterView> => {
    const [counter, held, digest, fence, owner, pttl, now] = (await r.masters[i]!.runOwn(
      'inspect',
      [keys.holder, keys.fence],
      [],
    )) as InspectReply;
    if (held !== 1) return { counter: Number(counter) };
    return {
      counter: Number(counter),
      holder: {
        digest: String(digest),
        fence: Number(fence),
        owner: owner ?? undefined,
        expiresAt: pttl >= 0 ? Number(now) + Number(pttl) : undefined,
      },
    };
  });
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
