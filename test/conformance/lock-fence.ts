/**
 * Fences: strictly increasing per lock name with every grant — across clients, Lock handles,
 * releases and expiries, and after every client has closed — unchanged by `extend`, and shown by
 * `inspect` (0 for a lock never granted, the last grant after release).
 */
import { describe, expect, it } from 'vitest';
import {
  abortedWith,
  type Harness,
  LONG_TEST_MS,
  lockTtl,
  SLACK_MS,
  uniqueName,
  useClients,
  within,
} from './harness.js';

/** lockFenceTests registers the fence tests. */
export function lockFenceTests(h: Harness): void {
  describe('lock: fences', () => {
    const clients = useClients(h);

    it(
      'fences strictly increase across clients, handles, releases and expiries; extend keeps the fence',
      async () => {
        const [a, b] = await clients.many(2);
        const name = uniqueName('lock');
        expect((await a.lock(name).inspect()).fence).toBe(0);
        const fences: number[] = [];
        const long = lockTtl(a, 30_000);

        const first = await a.lock(name, { ttlMs: long }).acquire();
        fences.push(first.fence);
        await first.extend();
        expect(first.fence).toBe(fences[0]);
        await first.release();
        expect((await b.lock(name).inspect()).fence).toBe(first.fence);

        const second = await b.lock(name, { ttlMs: long }).acquire();
        fences.push(second.fence);
        await second.release();

        const short = lockTtl(a, 300);
        const third = await a.lock(name).acquire({ ttlMs: short }); // a new handle on the same name
        fences.push(third.fence);
        await within(abortedWith(third.signal), 10 * short + SLACK_MS, 'third lease expiry');
        const fourth = await b.lock(name, { ttlMs: long }).acquire({ waitMs: 10 * short + SLACK_MS });
        fences.push(fourth.fence);
        expect((await a.lock(name).inspect()).fence).toBe(fourth.fence);
        await fourth.release();

        for (let i = 1; i < fences.length; i++) expect(fences[i]!).toBeGreaterThan(fences[i - 1]!);
      },
      LONG_TEST_MS,
    );

    it('fences keep increasing after every client has closed', async () => {
      const name = uniqueName('lock');
      const a = await h.connect();
      let firstFence: number;
      try {
        const lease = await a.lock(name, { ttlMs: lockTtl(a, 30_000) }).acquire();
        firstFence = lease.fence;
        await lease.release();
      } finally {
        await a.close();
      }
      const [b] = await clients.many(1);
      expect((await b.lock(name).inspect()).fence).toBe(firstFence);
      const lease = await b.lock(name, { ttlMs: lockTtl(b, 30_000) }).acquire();
      expect(lease.fence).toBeGreaterThan(firstFence);
      await lease.release();
    });

    it('a lock name has its own fence: other locks are unaffected by its grants', async () => {
      const [a] = await clients.many(1);
      const one = uniqueName('lock');
      const two = uniqueName('lock');
      const ttlMs = lockTtl(a, 30_000);
      for (let i = 0; i < 3; i++) await (await a.lock(one, { ttlMs }).acquire()).release();
      expect((await a.lock(two).inspect()).fence).toBe(0);
      const lease = await a.lock(two, { ttlMs }).acquire();
      expect(lease.fence).toBeGreaterThan(0);
      await lease.release();
    });
  });
}
