/**
 * Why the fleet's workers read with a fenced write on backends without the ownership guard —
 * the GC-pause case played out step by step against real servers, no timing luck involved:
 * holder A reads C, its lease runs out (the pause), B is granted the lock and reads the same C,
 * then A wakes and writes before B does.
 *
 * - Redis Cluster, plain read: A's write is accepted (no newer fence has reached the dict yet,
 *   and a cluster cannot check the lock in the write's script), then B's: an increment is lost,
 *   and the checker says so from the recorded history.
 * - Redis Cluster, fenced read (`incr(C, 0, { fence })` first): B's read records its fence, so
 *   A's late write is refused as stale; nothing is lost.
 * - single Redis, plain read: the ownership guard refuses A's write; nothing is lost.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { type Baton, connect, type Lease, StaleFenceError } from '../../src/index.js';
import { check } from './checker.js';
import type { Event } from './history.js';

const TTL_MS = 300;
const opened: Baton[] = [];
afterAll(async () => {
  await Promise.allSettled(opened.map((b) => b.close()));
});

async function client(url: string): Promise<Baton> {
  const baton = await connect(url);
  opened.push(baton);
  return baton;
}

/** paused plays the interleaving on `url`; resolves to what A's late write got, the final state and the checker's verdict. */
async function paused(url: string, fencedRead: boolean) {
  const [a, b] = [await client(url), await client(url)];
  const name = `fr-${randomBytes(4).toString('hex')}`;
  const events: Event[] = [];
  const grant = async (baton: Baton, worker: string): Promise<Lease> => {
    const tReq = Date.now();
    const lease = await baton.lock(name, { ttlMs: TTL_MS }).acquire({ waitMs: 5_000 });
    events.push({
      type: 'grant',
      worker,
      fence: lease.fence,
      tReq,
      tResp: Date.now(),
      expiresAt: lease.expiresAt,
      ttlMs: TTL_MS,
    });
    return lease;
  };
  const read = async (baton: Baton, worker: string, lease: Lease): Promise<number> => {
    const dict = baton.dict<number | true>(name);
    const c = fencedRead
      ? (await dict.incrEntry('C', 0, { fence: lease })).value
      : (((await dict.get('C')) as number | undefined) ?? 0);
    const n = (await dict.size()) - ((await dict.has('C')) ? 1 : 0);
    events.push({ type: 'read', worker, fence: lease.fence, c, n, t: Date.now() });
    return c;
  };
  const write = async (baton: Baton, worker: string, lease: Lease, c: number): Promise<unknown> => {
    const elem = `${worker}.1`;
    events.push({ type: 'write', worker, fence: lease.fence, elem, c: c + 1, n: c, t: Date.now() });
    try {
      const version = await baton.dict<number | true>(name).batch(
        [
          { op: 'set', key: 'C', value: c + 1 },
          { op: 'set', key: `s/${elem}`, value: true },
        ],
        { fence: lease },
      );
      events.push({ type: 'write-ok', worker, elem, version, t: Date.now() });
      return version;
    } catch (err) {
      if (!(err instanceof StaleFenceError)) throw err;
      events.push({ type: 'write-stale', worker, elem, error: err.detail, t: Date.now() });
      return err;
    }
  };

  const leaseA = await grant(a, 'A');
  const cA = await read(a, 'A', leaseA);
  await sleep(TTL_MS + 50); // A is "paused" past its TTL
  expect(leaseA.lost).toBe(true);
  const leaseB = await grant(b, 'B');
  const cB = await read(b, 'B', leaseB);
  const late = await write(a, 'A', leaseA, cA); // A wakes first
  await write(b, 'B', leaseB, cB);
  await leaseB.release();

  const dict = b.dict<number | true>(name);
  const final = {
    c: ((await dict.get('C')) as number | undefined) ?? 0,
    elems: (await dict.keys({ prefix: 's/' })).map((k) => k.slice(2)),
  };
  return { late, final, report: check(events, final, []) };
}

describe('a holder paused past its TTL writes after the next holder has read', () => {
  it('Redis Cluster, plain read: the late write is accepted and an update is lost (the checker finds it)', async () => {
    const { late, final, report } = await paused(
      `${inject('redisClusterUrl')}?prefix=fr-${randomBytes(3).toString('hex')}:`,
      false,
    );
    expect(late).toEqual(expect.any(Number));
    expect(final).toEqual({ c: 1, elems: expect.arrayContaining(['A.1', 'B.1']) });
    expect(report.violations).toContainEqual(
      expect.stringMatching(/lost update: A.1 and B.1 were both accepted writing C=1/),
    );
    expect(report.violations).toContainEqual(expect.stringMatching(/final C=1 but \|S\|=2/));
  });

  it('Redis Cluster, fenced read: the late write is refused as stale and nothing is lost', async () => {
    const { late, final, report } = await paused(
      `${inject('redisClusterUrl')}?prefix=fr-${randomBytes(3).toString('hex')}:`,
      true,
    );
    expect(late).toBeInstanceOf(StaleFenceError);
    expect((late as StaleFenceError).detail).toBe('newer_fence');
    expect(final).toEqual({ c: 1, elems: ['B.1'] });
    expect(report.violations).toEqual([]);
  });

  it('single Redis, plain read: the ownership guard refuses the late write and nothing is lost', async () => {
    const { late, final, report } = await paused(
      `${inject('redisUrl')}/0?prefix=fr-${randomBytes(3).toString('hex')}:`,
      false,
    );
    expect(late).toBeInstanceOf(StaleFenceError);
    expect((late as StaleFenceError).detail).toBe('not_holder');
    expect(final).toEqual({ c: 1, elems: ['B.1'] });
    expect(report.violations).toEqual([]);
  });
});
