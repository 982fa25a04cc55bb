/**
 * Lock acquisition: tryAcquire on a free and a held lock, mutual exclusion under 50 concurrent
 * acquirers on several clients (checked by the acquirers themselves), idempotent release,
 * `await using` disposal, and what `inspect` / `listLocks` show (never the token).
 */
import { describe, expect, it } from 'vitest';
import type { Baton, Lease } from '../../src/index.js';
import { type Harness, LONG_TEST_MS, lockTtl, sleep, uniqueName, useClients } from './harness.js';

/** lockAcquireTests registers the acquisition tests. */
export function lockAcquireTests(h: Harness): void {
  describe('lock: acquire and release', () => {
    const clients = useClients(h);

    it('tryAcquire grants a free lock and returns null while anyone holds it (not reentrant)', async () => {
      const [a, b] = await clients.many(2);
      const name = uniqueName('lock');
      const ttlMs = lockTtl(a, 30_000);
      const lease = await a.lock(name, { ttlMs }).tryAcquire();
      expect(lease).not.toBeNull();
      expect(lease!.name).toBe(name);
      expect(Number.isSafeInteger(lease!.fence) && lease!.fence > 0).toBe(true);
      expect(typeof lease!.token === 'string' && lease!.token.length >= 16).toBe(true);
      expect(lease!.lost).toBe(false);
      expect(await b.lock(name, { ttlMs }).tryAcquire()).toBeNull();
      expect(await a.lock(name, { ttlMs }).tryAcquire()).toBeNull();
      expect(
        await a
          .lock(name)
          .acquire({ waitMs: 0 })
          .catch((e: unknown) => e),
      ).toMatchObject({
        code: 'lock_timeout',
      });
      expect(await lease!.release()).toBe(true);
      const next = await b.lock(name, { ttlMs }).tryAcquire();
      expect(next).not.toBeNull();
      expect(next!.fence).toBeGreaterThan(lease!.fence);
      await next!.release();
    });

    it(
      '50 concurrent acquirers on 10 clients: never two holders, fences strictly increase in grant order',
      async () => {
        const batons = await clients.many(10);
        const name = uniqueName('lock');
        let holders = 0;
        let overlaps = 0;
        const fences: number[] = [];
        const releasedWhileHeld: boolean[] = [];
        const acquirer = async (b: Baton): Promise<void> => {
          const lease = await b.lock(name, { ttlMs: lockTtl(b, 60_000) }).acquire({ waitMs: 100_000 });
          if (holders !== 0) overlaps++;
          holders++;
          fences.push(lease.fence);
          await sleep(Math.random() * 3); // some async work inside the critical section
          await Promise.resolve();
          holders--;
          releasedWhileHeld.push(await lease.release());
        };
        await Promise.all(Array.from({ length: 50 }, (_, i) => acquirer(batons[i % batons.length]!)));
        expect(overlaps).toBe(0);
        expect(fences).toHaveLength(50);
        for (let i = 1; i < fences.length; i++) expect(fences[i]!).toBeGreaterThan(fences[i - 1]!);
        expect(releasedWhileHeld.every((held) => held)).toBe(true);
        expect((await batons[0]!.lock(name).inspect()).held).toBe(false);
      },
      LONG_TEST_MS,
    );

    it('release resolves true, then false at the store (idempotent); it never frees a later holder', async () => {
      const [a, b] = await clients.many(2);
      const name = uniqueName('lock');
      const lease = await a.lock(name, { ttlMs: lockTtl(a, 30_000) }).acquire();
      expect(await lease.release()).toBe(true);
      expect(lease.lost).toBe(true);
      expect(lease.signal.reason).toMatchObject({ code: 'lock_lost', reason: 'released' });
      expect((await b.lock(name).inspect()).held).toBe(false);
      // The store answers false for a token that no longer holds the lock, and so does the
      // Lease on a second release(); neither frees anyone else.
      expect(await b.lock(name).releaseToken(lease.token)).toBe(false);
      expect(await lease.release()).toBe(false);
      const other = await b.lock(name, { ttlMs: lockTtl(b, 30_000) }).tryAcquire();
      expect(other).not.toBeNull();
      expect(await lease.release()).toBe(false);
      expect(await a.lock(name).releaseToken(lease.token)).toBe(false);
      expect(await a.lock(name).inspect()).toMatchObject({ held: true, fence: other!.fence });
      expect(await other!.release()).toBe(true);
      expect(await a.lock(name).releaseToken(other!.token)).toBe(false);
    });

    it('`await using` releases the lease at the end of its block', async () => {
      const [a, b] = await clients.many(2);
      const name = uniqueName('lock');
      let leaked: Lease | undefined;
      {
        await using lease = await a.lock(name, { ttlMs: lockTtl(a, 30_000) }).acquire();
        leaked = lease;
        expect((await b.lock(name).inspect()).held).toBe(true);
      }
      expect((await b.lock(name).inspect()).held).toBe(false);
      expect(leaked.lost).toBe(true);
      expect(leaked.signal.reason).toMatchObject({ code: 'lock_lost', reason: 'released' });
      expect(await b.lock(name).tryAcquire()).not.toBeNull();
    });

    it('inspect shows holder, fence, owner and expiry, and never the token', async () => {
      const [a, b] = await clients.many(2);
      const name = uniqueName('lock');
      expect(await b.lock(name).inspect()).toMatchObject({ name, held: false, fence: 0 });
      const ttlMs = lockTtl(a, 60_000);
      const before = Date.now();
      const lease = await a.lock(name, { ttlMs, owner: 'worker-7' }).acquire();
      const info = await b.lock(name).inspect();
      expect(info).toMatchObject({ name, held: true, fence: lease.fence, owner: 'worker-7' });
      expect(info.expiresAt).toBeGreaterThan(before + ttlMs / 2);
      expect(info.expiresAt).toBeLessThanOrEqual(Date.now() + ttlMs + 2_000);
      expect(JSON.stringify(info)).not.toContain(lease.token);
      expect(JSON.stringify(lease)).not.toContain(lease.token);
      await lease.release();
      const after = await b.lock(name).inspect();
      expect(after).toMatchObject({ name, held: false, fence: lease.fence });
      expect(after.owner).toBeUndefined();
    });

    it('listLocks lists held locks by prefix, never with their tokens', async (ctx) => {
      const [a, b] = await clients.many(2);
      if (!a.capabilities.locks.listing) ctx.skip(`${h.name}: capabilities.locks.listing is false`);
      const prefix = uniqueName('list');
      const ttlMs = lockTtl(a, 60_000);
      const one = await a.lock(`${prefix}.one`, { ttlMs, owner: 'x' }).acquire();
      const two = await b.lock(`${prefix}.two`, { ttlMs }).acquire();
      const free = await a.lock(`${prefix}.free`, { ttlMs }).acquire();
      await free.release();
      const listed = await b.listLocks({ prefix });
      expect(listed.map((l) => l.name).sort()).toEqual([`${prefix}.one`, `${prefix}.two`]);
      expect(listed.find((l) => l.name === `${prefix}.one`)).toMatchObject({ held: true, fence: one.fence });
      const text = JSON.stringify(listed);
      expect(text).not.toContain(one.token);
      expect(text).not.toContain(two.token);
      await Promise.all([one.release(), two.release()]);
      expect(await b.listLocks({ prefix })).toEqual([]);
    });
  });
}
