/**
 * Extending leases: `extend` by the holder moves the expiry (locally and in the store) and keeps
 * the fence; an extended lease outlives its first TTL; extending a released lease throws
 * LockLostError. `withLock` auto-extends across many TTLs, resolves to fn's result, releases
 * afterwards (also when fn throws), and times out without calling fn.
 */
import { describe, expect, it } from 'vitest';
import { LockLostError, LockTimeoutError } from '../../src/index.js';
import { type Harness, LONG_TEST_MS, lockTtl, outlasting, sleep, uniqueName, useClients } from './harness.js';

/** lockExtendTests registers the extension tests. */
export function lockExtendTests(h: Harness): void {
  describe('lock: extend and withLock', () => {
    const clients = useClients(h);

    it('extend by the holder moves expiresAt, locally and in the store, and keeps the fence', async () => {
      const [a, b] = await clients.many(2);
      const name = uniqueName('lock');
      const lease = await a.lock(name, { ttlMs: lockTtl(a, 10_000) }).acquire();
      const localBefore = lease.expiresAt;
      const storeBefore = (await b.lock(name).inspect()).expiresAt!;
      const longer = lockTtl(a, 120_000);
      await lease.extend(longer);
      expect(lease.ttlMs).toBe(longer);
      expect(lease.fence).toBe((await b.lock(name).inspect()).fence);
      expect(lease.expiresAt).toBeGreaterThan(localBefore + 60_000);
      const info = await b.lock(name).inspect();
      expect(info).toMatchObject({ held: true, fence: lease.fence });
      expect(info.expiresAt!).toBeGreaterThan(storeBefore + 60_000);
      await lease.release();
    });

    it(
      'an extended lease keeps the lock past its first TTL',
      async () => {
        const [a, b] = await clients.many(2);
        const name = uniqueName('lock');
        const [lease, ttlMs] = await outlasting(lockTtl(a, 300), async (ttlMs, renew) => {
          const lease = await a.lock(name, { ttlMs }).acquire();
          await renew(() => lease.extend(lockTtl(a, 120_000)));
          return [lease, ttlMs] as const;
        });
        await sleep(3 * ttlMs); // time passing is what is tested
        expect(lease.signal.aborted).toBe(false);
        expect(await b.lock(name).tryAcquire()).toBeNull();
        expect(await b.lock(name).inspect()).toMatchObject({ held: true, fence: lease.fence });
        expect(await lease.release()).toBe(true);
      },
      LONG_TEST_MS,
    );

    it('extend after release throws LockLostError and does not take the lock back', async () => {
      const [a, b] = await clients.many(2);
      const name = uniqueName('lock');
      const lease = await a.lock(name, { ttlMs: lockTtl(a, 30_000) }).acquire();
      await lease.release();
      const err = await lease.extend().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LockLostError);
      expect(err).toMatchObject({ reason: 'released' });
      expect((await b.lock(name).inspect()).held).toBe(false);
    });

    it(
      'withLock keeps the lock for 5+ TTLs by auto-extension, resolves to fn’s result, then releases',
      async () => {
        const [a, b] = await clients.many(2);
        const name = uniqueName('lock');
        const ttlMs = lockTtl(a, 800); // auto-extends every ~270 ms: survives a stalled event loop
        let seen: { fence: number; signal: AbortSignal } | undefined;
        let checks = 0;
        const result = await a.withLock(
          name,
          async (lease) => {
            seen = { fence: lease.fence, signal: lease.signal };
            const until = performance.now() + 5.5 * ttlMs;
            while (performance.now() < until) {
              await sleep(ttlMs / 2);
              expect(await b.lock(name).inspect()).toMatchObject({ held: true, fence: lease.fence });
              expect(await b.lock(name).tryAcquire()).toBeNull();
              expect(lease.signal.aborted).toBe(false);
              checks++;
            }
            return { done: true, fence: lease.fence };
          },
          { ttlMs },
        );
        expect(checks).toBeGreaterThanOrEqual(5);
        expect(result).toEqual({ done: true, fence: seen!.fence });
        expect(seen!.signal.reason).toMatchObject({ reason: 'released' }); // aborted by release, not loss
        expect(await b.lock(name).inspect()).toMatchObject({ held: false, fence: seen!.fence });
      },
      LONG_TEST_MS,
    );

    it('withLock releases the lock and rejects with fn’s error when fn throws', async () => {
      const [a, b] = await clients.many(2);
      const name = uniqueName('lock');
      const boom = new Error('fn failed');
      const err = await a
        .withLock(
          name,
          async () => {
            expect((await b.lock(name).inspect()).held).toBe(true);
            throw boom;
          },
          { ttlMs: lockTtl(a, 30_000) },
        )
        .catch((e: unknown) => e);
      expect(err).toBe(boom);
      expect((await b.lock(name).inspect()).held).toBe(false);
    });

    it('withLock rejects with LockTimeoutError and never calls fn when the lock stays held', async () => {
      const [a, b] = await clients.many(2);
      const name = uniqueName('lock');
      const holder = await a.lock(name, { ttlMs: lockTtl(a, 60_000) }).acquire();
      let called = false;
      const err = await b
        .withLock(
          name,
          () => {
            called = true;
          },
          { waitMs: 200 },
        )
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LockTimeoutError);
      expect(called).toBe(false);
      expect(await a.lock(name).inspect()).toMatchObject({ held: true, fence: holder.fence });
      await holder.release();
    });
  });
}
