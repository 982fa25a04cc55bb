/**
 * Fleet recipes, built on the lock and dict contracts, so they run on every backend with dicts:
 * an election hands over on resign at once and, when its leader is cut off from the store, to the
 * next campaigner within about one TTL with a larger fence, and `observe` sees leaders in fence
 * order; a group lists and watches its members, and a member cut off leaves by expiry; partitions
 * are owned exactly as `assignPartitions` says, a join moves only the partitions the function
 * moves, and a cut-off member's partitions are re-owned by the others with larger fences, while a
 * write fenced by its old lease is refused.
 *
 * "Cut off" is `close()` on the member's client: its renewals then fail as if the store were
 * unreachable (the process keeps running, the worst case for a lease), so the store lets its
 * entries and leases run out. A real SIGKILL is in test/recipes/kill.test.ts.
 */
import { describe, expect, it } from 'vitest';
import {
  assignPartitions,
  type Baton,
  type GroupChange,
  type Leader,
  type Lease,
  type PartitionChange,
  type Partitions,
  StaleFenceError,
} from '../../src/index.js';
import {
  abortedWith,
  entryTtl,
  eventually,
  type Harness,
  LONG_TEST_MS,
  lockTtl,
  rejection,
  SLACK_MS,
  uniqueName,
  useClients,
  within,
} from './harness.js';

/** recipeTtl is the TTL the recipe tests give leases and memberships: 2 s, or more where the store needs it. */
function recipeTtl(b: Baton): number {
  return Math.max(lockTtl(b, 2_000), entryTtl(b, 2_000));
}

/** Member is one joined member of a partitions test, with every change it saw. */
interface Member {
  readonly id: string;
  /** baton is the member's client (a lease's token is known only to the client that holds it, on http). */
  readonly baton: Baton;
  readonly parts: Partitions;
  readonly seen: PartitionChange[];
}

/** stable resolves once every member owns exactly the partitions `assignPartitions` gives it. */
async function stable(members: readonly Member[], count: number, ms: number): Promise<void> {
  const owners = assignPartitions(
    count,
    members.map((m) => m.id),
  );
  await eventually(
    async () =>
      members.every((m) => {
        const want = owners.flatMap((o, p) => (o === m.id ? [p] : []));
        const have = [...m.parts.owned.keys()].sort((a, b) => a - b);
        return JSON.stringify(want) === JSON.stringify(have);
      }),
    ms,
    `the assignment of ${count} partitions over ${members.map((m) => m.id).join(', ')}`,
  );
}

/** recipeTests registers the election, group and partition tests. */
export function recipeTests(h: Harness): void {
  describe('recipes: election, group, partitions', () => {
    const clients = useClients(h);

    it(
      'election: resign hands over at once, proclaim changes the value, observe sees leaders in fence order',
      async () => {
        const [a, b, c] = await clients.many(3);
        const name = uniqueName('el');
        const ttlMs = recipeTtl(a);
        const seen: Array<Leader<string> | undefined> = [];
        const ac = new AbortController();
        const observing = (async () => {
          for await (const l of c.election<string>(name).observe({ signal: ac.signal })) seen.push(l);
        })();
        const la = await a.election<string>(name).campaign({ value: 'a', ttlMs });
        expect(await c.election<string>(name).leader()).toEqual({ value: 'a', fence: la.fence });
        const pb = b.election<string>(name).campaign({ value: 'b', ttlMs });
        await la.proclaim('a2');
        expect(await c.election<string>(name).leader()).toEqual({ value: 'a2', fence: la.fence });
        await la.resign();
        expect(la.signal.aborted).toBe(true);
        const lb = await within(pb, SLACK_MS, 'the second campaigner elected');
        expect(lb.fence).toBeGreaterThan(la.fence);
        await eventually(async () => seen.at(-1)?.value === 'b', SLACK_MS, 'observe sees b');
        ac.abort();
        await observing;
        const leaders = seen.filter((l) => l !== undefined);
        expect(leaders.map((l) => l.value)).toEqual(['a', 'a2', 'b']);
        expect(leaders.map((l) => l.fence)).toEqual([la.fence, la.fence, lb.fence]);
        await expect(la.proclaim('late')).rejects.toMatchObject({ code: 'lock_lost' });
        await lb.resign();
        expect(await c.election(name).leader()).toBeUndefined();
      },
      LONG_TEST_MS,
    );

    it(
      'election: a leader cut off from the store is replaced within about one TTL, with a larger fence',
      async () => {
        const [a, b] = await clients.many(2);
        const name = uniqueName('el');
        const ttlMs = recipeTtl(a);
        const la = await a.election<string>(name).campaign({ value: 'a', ttlMs });
        const pb = b.election<string>(name).campaign({ value: 'b', ttlMs });
        const started = performance.now();
        await a.close(); // renewals now fail: the lease and the entry run out
        const lb = await within(pb, ttlMs * 3 + SLACK_MS, 'the second campaigner elected');
        const tookMs = performance.now() - started;
        expect(lb.fence).toBeGreaterThan(la.fence);
        expect(await within(abortedWith(la.signal), SLACK_MS, 'the old leader told')).toMatchObject({
          code: 'lock_lost',
        });
        expect(await b.election<string>(name).leader()).toEqual({ value: 'b', fence: lb.fence });
        expect(tookMs).toBeLessThan(ttlMs * 3 + SLACK_MS);
        await lb.resign();
      },
      LONG_TEST_MS,
    );

    it(
      'group: members and watch follow joins and leaves; a member cut off leaves by expiry and is told',
      async () => {
        const [a, b, c] = await clients.many(3);
        const name = uniqueName('grp');
        const ttlMs = recipeTtl(a);
        const ma = await a.group(name).join({ id: 'a', meta: { host: 'h1' }, ttlMs });
        const changes: GroupChange[] = [];
        const ac = new AbortController();
        const watching = (async () => {
          for await (const ch of c.group(name).watch({ signal: ac.signal })) changes.push(ch);
        })().catch(() => undefined);
        const mb = await b.group(name).join({ id: 'b', ttlMs });
        expect(await c.group(name).members()).toEqual([{ id: 'a', meta: { host: 'h1' } }, { id: 'b' }]);
        await expect(c.group(name).join({ id: 'a', ttlMs })).rejects.toMatchObject({
          code: 'version_conflict',
        });
        await ma.leave();
        expect(ma.signal.aborted).toBe(true);
        await b.close(); // b stops renewing
        await within(abortedWith(mb.signal), ttlMs * 2 + SLACK_MS, 'b told it is out');
        await eventually(async () => changes.length >= 4, ttlMs * 3 + SLACK_MS, 'four group changes');
        ac.abort();
        await watching;
        expect(changes.map((ch) => [ch.type, ch.id, ch.reason])).toEqual([
          ['join', 'a', undefined],
          ['join', 'b', undefined],
          ['leave', 'a', 'left'],
          ['leave', 'b', 'expired'],
        ]);
        expect(await c.group(name).members()).toEqual([]);
      },
      LONG_TEST_MS,
    );

    it(
      'partitions: owned as the function says; a join moves only what it moves; a cut-off member is replaced with larger fences',
      async () => {
        const [a, b, c, d] = await clients.many(4);
        const name = uniqueName('grp');
        const ttlMs = recipeTtl(a);
        const count = 12;
        const members: Member[] = [];
        const join = async (baton: Baton, id: string): Promise<Member> => {
          const m = await baton.group(name).join({ id, ttlMs });
          const parts = m.partitions(count, { ttlMs });
          const seen: PartitionChange[] = [];
          void (async () => {
            for await (const ch of parts) seen.push(ch);
          })();
          const member = { id, baton, parts, seen };
          members.push(member);
          return member;
        };
        const wait = ttlMs * 3 + SLACK_MS;
        const [ma, mb] = [await join(a, 'm-a'), await join(b, 'm-b')];
        await stable([ma, mb], count, wait);
        const before = assignPartitions(count, ['m-a', 'm-b']);
        const leases = new Map<number, Lease>([...ma.parts.owned, ...mb.parts.owned]);
        const seenBefore = [ma.seen.length, mb.seen.length];

        const mc = await join(c, 'm-c');
        await stable([ma, mb, mc], count, wait);
        const after = assignPartitions(count, ['m-a', 'm-b', 'm-c']);
        const moved = after.flatMap((o, p) => (o !== before[p] ? [p] : []));
        expect(moved.length).toBeGreaterThan(0);
        expect(moved.length).toBeLessThan(count);
        for (const [i, m] of [ma, mb].entries()) {
          const released = m.seen.slice(seenBefore[i]).filter((ch) => ch.type === 'released');
          const wantGone = before.flatMap((o, p) => (o === m.id && after[p] !== m.id ? [p] : []));
          expect(released.map((ch) => ch.partition).sort((x, y) => x - y)).toEqual(wantGone);
          expect(released.every((ch) => ch.type === 'released' && ch.reason === 'moved')).toBe(true);
          for (const [p, lease] of m.parts.owned) if (!moved.includes(p)) expect(lease).toBe(leases.get(p));
        }
        for (const [p, lease] of mc.parts.owned) {
          expect(moved).toContain(p);
          expect(lease.fence).toBeGreaterThan(leases.get(p)?.fence ?? 0);
        }

        const cOwned = new Map(mc.parts.owned);
        expect(cOwned.size).toBe(count / 3);
        const started = performance.now();
        await c.close(); // m-c stops renewing: its membership and leases run out
        await stable([ma, mb], count, wait);
        const tookMs = performance.now() - started;
        for (const [p, old] of cOwned) {
          const owner = ma.parts.owned.has(p) ? ma : mb;
          const now = owner.parts.owned.get(p) as Lease;
          expect(now.fence).toBeGreaterThan(old.fence);
          await owner.baton.dict<number>(`${name}-out`).set(`p${p}`, 1, { fence: now });
          const err = await rejection(() =>
            d
              .dict<number>(`${name}-out`)
              .set(`p${p}`, 2, { fence: { lock: old.name, fence: old.fence, token: old.token } }),
          );
          expect(err).toBeInstanceOf(StaleFenceError);
        }
        expect(tookMs).toBeLessThan(wait);
        await Promise.all([ma, mb].map((m) => m.parts.stop()));
        expect(ma.parts.owned.size + mb.parts.owned.size).toBe(0);
        expect((await d.group(name).partitionLock(0).inspect()).held).toBe(false);
      },
      LONG_TEST_MS,
    );
  });
}
