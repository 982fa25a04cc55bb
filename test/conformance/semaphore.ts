/**
 * Semaphores: N leased permits per pool — holding up to N at once, counts, waking on release and
 * on a holder's expiry, head-of-line FIFO where `capabilities.semaphores.fairOrdering` promises
 * it, the permit count fixed while the pool is in use, fences, aborts, listing, fenced writes,
 * and bad input refused before anything is sent.
 *
 * A backend without semaphores (`capabilities.semaphores` undefined) must refuse them with
 * UnsupportedError; every other test is then skipped with that reason.
 */
import { describe, expect, it } from 'vitest';
import {
  type Baton,
  InvalidArgumentError,
  LockLostError,
  LockTimeoutError,
  StaleFenceError,
  UnsupportedError,
} from '../../src/index.js';
import {
  abortedWith,
  type Harness,
  LONG_TEST_MS,
  outlasting,
  rejection,
  SLACK_MS,
  sleep,
  uniqueName,
  useClients,
  within,
} from './harness.js';

/** QUEUE_MS is how long a started acquire is given to reach the store's queue. */
export const QUEUE_MS = 150;

/**
 * queued resolves once the pool reports at least `n` queued waiters (polling inspect every
 * 10 ms, up to SLACK_MS), so ordering tests do not guess how long joining a queue takes on a
 * slow store. A backend that does not report `waiting` gets QUEUE_MS instead.
 */
export async function queued(
  pool: { inspect(): Promise<{ waiting?: number | undefined }> },
  n: number,
): Promise<void> {
  const deadline = performance.now() + SLACK_MS;
  for (;;) {
    const { waiting } = await pool.inspect();
    if (waiting === undefined) return sleep(QUEUE_MS);
    if (waiting >= n) return;
    if (performance.now() > deadline) throw new Error(`${n} waiter(s) did not queue within ${SLACK_MS} ms`);
    await sleep(10);
  }
}

/** poolTtl is `ms`, raised to the backend's smallest semaphore TTL. */
export function poolTtl(b: Baton, ms: number): number {
  return Math.max(ms, b.capabilities.semaphores?.minTtlMs ?? 0);
}

/** requirePools skips the running test, with the reason, when the backend has no semaphores. */
export function requirePools(h: Harness, b: Baton, ctx: { skip(note?: string): never }): void {
  if (!b.capabilities.semaphores) ctx.skip(`${h.name}: this backend has no semaphores or rwlocks`);
}

/** semaphoreTests registers the semaphore tests. */
export function semaphoreTests(h: Harness): void {
  describe('semaphore', () => {
    const clients = useClients(h);

    it('a backend without semaphores says so with UnsupportedError, or has them', async () => {
      const a = await clients.one();
      if (a.capabilities.semaphores) {
        expect(a.capabilities.semaphores.minTtlMs).toBeGreaterThanOrEqual(1);
        return;
      }
      expect(() => a.semaphore(uniqueName('sem'), { permits: 2 })).toThrow(UnsupportedError);
      expect(() => a.rwlock(uniqueName('rw'))).toThrow(UnsupportedError);
      await expect(a.listSemaphores()).rejects.toBeInstanceOf(UnsupportedError);
    });

    it('holds up to `permits` leases at once; the next waits until one is released', async (ctx) => {
      const [a, b, c, d] = await clients.many(4);
      requirePools(h, a, ctx);
      const name = uniqueName('sem');
      const ttlMs = poolTtl(a, 60_000);
      const l1 = await a.semaphore(name, { permits: 3, ttlMs }).acquire({ owner: 'one' });
      const l2 = await b.semaphore(name, { permits: 3, ttlMs }).acquire();
      const l3 = await c.semaphore(name, { permits: 3, ttlMs }).acquire();
      expect(await d.semaphore(name, { permits: 3 }).tryAcquire()).toBeNull();

      const info = await d.semaphore(name, { permits: 3 }).inspect();
      expect(info).toMatchObject({ name, permits: 3, used: 3, fence: l3.fence });
      expect(info.holders.map((x) => x.fence)).toEqual([l1.fence, l2.fence, l3.fence]);
      expect(info.holders[0]?.owner).toBe('one');
      expect(info.holders.every((x) => x.count === 1 && x.expiresAt > Date.now())).toBe(true);
      for (const lease of [l1, l2, l3]) expect(JSON.stringify(info)).not.toContain(lease.token);

      const waiting = d.semaphore(name, { permits: 3, ttlMs }).acquire();
      await queued(d.semaphore(name, { permits: 3 }), 1);
      expect(await l2.release()).toBe(true);
      const l4 = await within(waiting, SLACK_MS, 'waiter granted after a release');
      expect(l4.fence).toBeGreaterThan(l3.fence);
      expect((await a.semaphore(name, { permits: 3 }).inspect()).used).toBe(3);
      await Promise.all([l1.release(), l3.release(), l4.release()]);
      expect(await a.semaphore(name, { permits: 3 }).inspect()).toMatchObject({ used: 0, holders: [] });
    });

    it('fences strictly increase with every grant, across clients', async (ctx) => {
      const [a, b] = await clients.many(2);
      requirePools(h, a, ctx);
      const name = uniqueName('sem');
      const fences: number[] = [];
      for (let i = 0; i < 6; i++) {
        const lease = await (i % 2 ? a : b)
          .semaphore(name, { permits: 2, ttlMs: poolTtl(a, 30_000) })
          .acquire();
        fences.push(lease.fence);
        await lease.release();
      }
      for (let i = 1; i < fences.length; i++) expect(fences[i]).toBeGreaterThan(fences[i - 1] as number);
    });

    it('count takes several permits; a count that does not fit waits', async (ctx) => {
      const [a, b] = await clients.many(2);
      requirePools(h, a, ctx);
      const name = uniqueName('sem');
      const ttlMs = poolTtl(a, 60_000);
      const big = await a.semaphore(name, { permits: 4, ttlMs }).acquire({ count: 3 });
      expect(await b.semaphore(name, { permits: 4 }).tryAcquire({ count: 2 })).toBeNull();
      const small = await b.semaphore(name, { permits: 4, ttlMs }).tryAcquire({ count: 1 });
      expect(small).not.toBeNull();
      const info = await a.semaphore(name, { permits: 4 }).inspect();
      expect(info.used).toBe(4);
      expect(info.holders.map((x) => x.count)).toEqual([3, 1]);
      await Promise.all([big.release(), small?.release()]);
    });

    it(
      "a crashed holder's permits come back when its TTL ends",
      async (ctx) => {
        const [a, b] = await clients.many(2);
        requirePools(h, a, ctx);
        const name = uniqueName('sem');
        const ttlMs = poolTtl(a, 300);
        const crashed = await a.semaphore(name, { permits: 1, ttlMs }).acquire(); // never released
        const started = performance.now();
        const next = await within(
          b.semaphore(name, { permits: 1, ttlMs: poolTtl(b, 30_000) }).acquire(),
          ttlMs * 3 + SLACK_MS,
          "waiter granted after the holder's expiry",
        );
        expect(performance.now() - started).toBeGreaterThanOrEqual(ttlMs * 0.5);
        expect(next.fence).toBeGreaterThan(crashed.fence);
        expect(crashed.lost).toBe(true);
        expect(await crashed.release()).toBe(false);
        await expect(crashed.extend()).rejects.toBeInstanceOf(LockLostError);
        await next.release();
      },
      LONG_TEST_MS,
    );

    it(
      'extend keeps the permits past the first TTL; the fence does not change',
      async (ctx) => {
        const [a, b] = await clients.many(2);
        requirePools(h, a, ctx);
        const name = uniqueName('sem');
        // Every check must land within a TTL of the last renewal; a stall past it is retried.
        await outlasting(poolTtl(a, 400), async (ttlMs, renew) => {
          const lease = await a.semaphore(name, { permits: 1, ttlMs }).acquire();
          const fence = lease.fence;
          for (let i = 0; i < 3; i++) {
            await sleep(ttlMs / 2);
            await renew(() => lease.extend());
          }
          expect(lease.fence).toBe(fence);
          const other = await b.semaphore(name, { permits: 1, ttlMs }).tryAcquire();
          await other?.release(); // free for a retry
          expect(other).toBeNull();
          expect(await lease.release()).toBe(true);
        });
      },
      LONG_TEST_MS,
    );

    it('waitMs: LockTimeoutError naming semaphore/<name>, and the timed-out waiter holds nothing', async (ctx) => {
      const [a, b] = await clients.many(2);
      requirePools(h, a, ctx);
      const name = uniqueName('sem');
      const holder = await a.semaphore(name, { permits: 1, ttlMs: poolTtl(a, 60_000) }).acquire();
      const err = await rejection(() => b.semaphore(name, { permits: 1 }).acquire({ waitMs: 200 }));
      expect(err).toBeInstanceOf(LockTimeoutError);
      expect(err).toMatchObject({ code: 'lock_timeout', lock: `semaphore/${name}` });
      await holder.release();
      // The timed-out waiter left the queue: the pool is free for the next one at once.
      const next = await within(
        b.semaphore(name, { permits: 1, ttlMs: poolTtl(b, 30_000) }).acquire({ waitMs: SLACK_MS }),
        SLACK_MS * 2,
        'acquire after a timed-out waiter',
      );
      expect((await a.semaphore(name, { permits: 1 }).inspect()).holders).toHaveLength(1);
      await next.release();
    });

    it('an aborted wait rejects with the reason and leaves the queue', async (ctx) => {
      const [a, b, c] = await clients.many(3);
      requirePools(h, a, ctx);
      const name = uniqueName('sem');
      const ttlMs = poolTtl(a, 60_000);
      const holder = await a.semaphore(name, { permits: 1, ttlMs }).acquire();
      const ac = new AbortController();
      const aborted = b.semaphore(name, { permits: 1, ttlMs }).acquire({ signal: ac.signal });
      await queued(a.semaphore(name, { permits: 1 }), 1);
      const reason = new Error('stop waiting');
      ac.abort(reason);
      await expect(within(aborted, SLACK_MS, 'aborted acquire')).rejects.toBe(reason);
      const waiting = c.semaphore(name, { permits: 1, ttlMs }).acquire();
      await queued(a.semaphore(name, { permits: 1 }), 1);
      await holder.release();
      const next = await within(waiting, SLACK_MS, 'the waiter behind the aborted one');
      const info = await a.semaphore(name, { permits: 1 }).inspect();
      expect(info.holders.map((x) => x.fence)).toEqual([next.fence]);
      await next.release();
    });

    it('waiters are served in arrival order; a large head blocks smaller requests behind it', async (ctx) => {
      const [a, b, c] = await clients.many(3);
      requirePools(h, a, ctx);
      if (!a.capabilities.semaphores?.fairOrdering)
        ctx.skip(`${h.name}: capabilities.semaphores.fairOrdering is false (FIFO not promised)`);
      const name = uniqueName('sem');
      const ttlMs = poolTtl(a, 60_000);
      const one = await a.semaphore(name, { permits: 2, ttlMs }).acquire();
      const order: string[] = [];
      const head = b
        .semaphore(name, { permits: 2, ttlMs })
        .acquire({ count: 2 })
        .then((l) => {
          order.push('head');
          return l;
        });
      await queued(a.semaphore(name, { permits: 2 }), 1);
      // One permit is free, but the head of the queue wants two: a newcomer must not pass it.
      expect(await c.semaphore(name, { permits: 2 }).tryAcquire()).toBeNull();
      const behind = c
        .semaphore(name, { permits: 2, ttlMs })
        .acquire()
        .then((l) => {
          order.push('behind');
          return l;
        });
      await queued(a.semaphore(name, { permits: 2 }), 2);
      expect(order).toEqual([]);
      await one.release();
      const headLease = await within(head, SLACK_MS, 'head granted');
      await sleep(QUEUE_MS);
      expect(order).toEqual(['head']);
      await headLease.release();
      const behindLease = await within(behind, SLACK_MS, 'the one behind granted');
      expect(order).toEqual(['head', 'behind']);
      expect(behindLease.fence).toBeGreaterThan(headLease.fence);
      await behindLease.release();
    });

    it('the permit count is fixed while the pool is in use; a different count is InvalidArgumentError', async (ctx) => {
      const [a, b] = await clients.many(2);
      requirePools(h, a, ctx);
      const name = uniqueName('sem');
      const ttlMs = poolTtl(a, 60_000);
      const lease = await a.semaphore(name, { permits: 2, ttlMs }).acquire();
      const err = await rejection(() => b.semaphore(name, { permits: 3, ttlMs }).acquire({ waitMs: 0 }));
      expect(err).toBeInstanceOf(InvalidArgumentError);
      const info = await a.semaphore(name, { permits: 2 }).inspect();
      expect(info).toMatchObject({ permits: 2, used: 1 });
      expect(info.holders).toHaveLength(1);
      await lease.release();
      // Unused again: the next first use sets the count anew.
      const again = await b.semaphore(name, { permits: 3, ttlMs }).acquire({ waitMs: 0 });
      expect((await b.semaphore(name, { permits: 3 }).inspect()).permits).toBe(3);
      await again.release();
    });

    it('bad options are InvalidArgumentError before anything is sent', async (ctx) => {
      const a = await clients.one();
      requirePools(h, a, ctx);
      const name = uniqueName('sem');
      for (const permits of [0, -1, 1.5, 2 ** 20 + 1, Number.NaN, '2'] as unknown[]) {
        expect(() => a.semaphore(name, { permits: permits as number })).toThrow(InvalidArgumentError);
      }
      expect(() => a.semaphore('bad name!', { permits: 1 })).toThrow(InvalidArgumentError);
      const sem = a.semaphore(name, { permits: 2 });
      for (const count of [0, 3, 1.5, -1, '1'] as unknown[]) {
        expect(await rejection(() => sem.acquire({ count: count as number }))).toBeInstanceOf(
          InvalidArgumentError,
        );
      }
      expect(await rejection(() => sem.acquire({ ttlMs: 0 }))).toBeInstanceOf(InvalidArgumentError);
      expect(await sem.inspect()).toMatchObject({ used: 0, holders: [], fence: 0 });
    });

    it('withPermits runs the function holding the permits and releases them after', async (ctx) => {
      const a = await clients.one();
      requirePools(h, a, ctx);
      const name = uniqueName('sem');
      const sem = a.semaphore(name, { permits: 2, ttlMs: poolTtl(a, 30_000) });
      const used = await sem.withPermits(async () => (await sem.inspect()).used, { count: 2 });
      expect(used).toBe(2);
      expect((await sem.inspect()).used).toBe(0);
      await expect(
        sem.withPermits(() => {
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect((await sem.inspect()).used).toBe(0);
    });

    it('a semaphore lease fences dict writes under semaphore/<name>, apart from a lock of the same name', async (ctx) => {
      const [a, b] = await clients.many(2);
      requirePools(h, a, ctx);
      const name = uniqueName('sem');
      const dict = a.dict(uniqueName('dict'));
      const ttlMs = poolTtl(a, 30_000);
      const first = await a.semaphore(name, { permits: 1, ttlMs }).acquire();
      expect(first.fenceScope).toBe(`semaphore/${name}`);
      await first.release();
      const second = await b.semaphore(name, { permits: 1, ttlMs }).acquire();
      await dict.set('k', 'second', { fence: second });
      await expect(dict.set('k', 'first', { fence: first })).rejects.toBeInstanceOf(StaleFenceError);
      expect(await dict.get('k')).toBe('second');
      // A lock named like the semaphore has its own fence counter: its low fence is not stale here.
      const lock = await a.lock(name, { ttlMs: Math.max(30_000, a.capabilities.locks.minTtlMs) }).acquire();
      await dict.set('k', 'lock', { fence: lock });
      expect(await dict.get('k')).toBe('lock');
      await Promise.all([second.release(), lock.release()]);
    });

    it('listSemaphores lists pools with holders, never tokens', async (ctx) => {
      const a = await clients.one();
      requirePools(h, a, ctx);
      if (!a.capabilities.semaphores?.listing)
        ctx.skip(`${h.name}: capabilities.semaphores.listing is false`);
      const prefix = `${uniqueName('list')}.`;
      const ttlMs = poolTtl(a, 30_000);
      const l1 = await a.semaphore(`${prefix}a`, { permits: 2, ttlMs }).acquire();
      const l2 = await a.semaphore(`${prefix}b`, { permits: 1, ttlMs }).acquire();
      const free = await a.semaphore(`${prefix}c`, { permits: 1, ttlMs }).acquire();
      await free.release();
      const listed = await a.listSemaphores({ prefix });
      expect(listed.map((x) => x.name)).toEqual([`${prefix}a`, `${prefix}b`]);
      expect(listed[0]).toMatchObject({ permits: 2, used: 1 });
      expect(JSON.stringify(listed)).not.toContain(l1.token);
      expect(await a.listSemaphores({ prefix, limit: 1 })).toHaveLength(1);
      await Promise.all([l1.release(), l2.release()]);
      expect(await a.listSemaphores({ prefix })).toEqual([]);
    });

    it('closing a client while it waits rejects the wait and frees its place', async (ctx) => {
      const [a, b, c] = await clients.many(3);
      requirePools(h, a, ctx);
      const name = uniqueName('sem');
      const ttlMs = poolTtl(a, 60_000);
      const holder = await a.semaphore(name, { permits: 1, ttlMs }).acquire();
      const waiting = b.semaphore(name, { permits: 1, ttlMs }).acquire();
      const outcome = waiting.then(
        () => 'granted',
        () => 'rejected',
      );
      await queued(a.semaphore(name, { permits: 1 }), 1);
      await b.close();
      expect(await within(outcome, SLACK_MS, 'wait ends on close')).toBe('rejected');
      const next = c.semaphore(name, { permits: 1, ttlMs }).acquire();
      await queued(a.semaphore(name, { permits: 1 }), 1);
      await holder.release();
      const lease = await within(next, SLACK_MS * 2, 'next waiter after a closed one');
      await lease.release();
    });

    it('the lease signal aborts at the TTL boundary when not extended', async (ctx) => {
      const a = await clients.one();
      requirePools(h, a, ctx);
      const ttlMs = poolTtl(a, 300);
      const lease = await a.semaphore(uniqueName('sem'), { permits: 1, ttlMs }).acquire();
      const reason = await within(abortedWith(lease.signal), ttlMs + SLACK_MS, 'lease signal');
      expect(reason).toBeInstanceOf(LockLostError);
    });
  });
}
