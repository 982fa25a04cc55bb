/**
 * Lease expiry: a lease that is not extended is lost at its TTL — `signal` aborts with
 * LockLostError (not late: before anyone else is granted the lock), `extend` throws
 * LockLostError, `release` resolves false — and another client then gets the lock with a higher
 * fence. Also: per-call TTL overrides, conservative `expiresAt`, and TTLs below `minTtlMs`.
 */
import { describe, expect, it } from 'vitest';
import { LockLostError } from '../../src/index.js';
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

/** lockTtlTests registers the lease-expiry tests. */
export function lockTtlTests(h: Harness): void {
  describe('lock: TTL and loss', () => {
    const clients = useClients(h);

    it(
      'a lease not extended is lost at its TTL: signal aborts first, extend throws, another client takes over',
      async () => {
        const [a, b] = await clients.many(2);
        const name = uniqueName('lock');
        const ttlMs = lockTtl(a, 500);
        const started = performance.now();
        // The per-call ttlMs overrides the Lock's default of 60 s.
        const lease = await a.lock(name, { ttlMs: lockTtl(a, 60_000) }).acquire({ ttlMs });
        expect(lease.ttlMs).toBe(ttlMs);
        const lost = abortedWith(lease.signal);
        expect(lease.signal.aborted).toBe(false);
        let abortedFirst: boolean | undefined;
        const next = b
          .lock(name, { ttlMs: lockTtl(b, 60_000) })
          .acquire({ waitMs: 10 * ttlMs + SLACK_MS })
          .then((l) => {
            abortedFirst = lease.signal.aborted;
            return l;
          });
        const reason = await within(lost, 10 * ttlMs + SLACK_MS, 'lease.signal abort');
        expect(performance.now() - started).toBeGreaterThanOrEqual(ttlMs * 0.9);
        expect(reason).toBeInstanceOf(LockLostError);
        expect(reason).toMatchObject({ code: 'lock_lost', lock: name, reason: 'expired' });
        expect(lease.lost).toBe(true);
        await expect(lease.extend()).rejects.toBeInstanceOf(LockLostError);
        const successor = await within(next, 10 * ttlMs + 2 * SLACK_MS, 'successor granted');
        expect(abortedFirst).toBe(true);
        expect(successor.fence).toBeGreaterThan(lease.fence);
        expect(await lease.release()).toBe(false);
        expect(await b.lock(name).inspect()).toMatchObject({ held: true, fence: successor.fence });
        await successor.release();
      },
      LONG_TEST_MS,
    );

    it(
      'an expired lease cannot be extended at the store, and its token no longer holds anything',
      async () => {
        const [a, b] = await clients.many(2);
        const name = uniqueName('lock');
        const ttlMs = lockTtl(a, 300);
        const lease = await a.lock(name, { ttlMs }).acquire();
        const successor = await b
          .lock(name, { ttlMs: lockTtl(b, 60_000) })
          .acquire({ waitMs: 10 * ttlMs + SLACK_MS });
        // Ask the store directly, past the Lease's own deadline check.
        expect(await a.lock(name).extendToken(lease.token, lockTtl(a, 60_000))).toBeNull();
        expect(await a.lock(name).releaseToken(lease.token)).toBe(false);
        expect(await a.lock(name).inspect()).toMatchObject({ held: true, fence: successor.fence });
        await successor.release();
      },
      LONG_TEST_MS,
    );

    it('extendToken without a TTL keeps the TTL of the grant, then of the last extension', async () => {
      const [a] = await clients.many(1);
      const name = uniqueName('lock');
      const lease = await a.lock(name, { ttlMs: lockTtl(a, 120_000) }).acquire();
      const kept = await a.lock(name).extendToken(lease.token);
      expect(kept).toMatchObject({ fence: lease.fence, ttlMs: lease.ttlMs });
      const shorter = await a.lock(name).extendToken(lease.token, lockTtl(a, 90_000));
      expect((await a.lock(name).extendToken(lease.token))?.ttlMs).toBe(shorter?.ttlMs);
      expect(shorter?.ttlMs).toBeLessThan(lease.ttlMs);
      expect(await lease.release()).toBe(true);
    });

    it('with no waiter, an expired lock is free for the next acquire', async () => {
      const [a, b] = await clients.many(2);
      const name = uniqueName('lock');
      const ttlMs = lockTtl(a, 300);
      const lease = await a.lock(name, { ttlMs }).acquire();
      await within(abortedWith(lease.signal), 10 * ttlMs + SLACK_MS, 'lease.signal abort');
      const next = await b.lock(name).acquire({ waitMs: 10 * ttlMs + SLACK_MS });
      expect(next.fence).toBeGreaterThan(lease.fence);
      expect(await lease.release()).toBe(false);
      expect(await next.release()).toBe(true);
    });

    it('lease.expiresAt is conservative: within the TTL measured from before the request', async () => {
      const [a, b] = await clients.many(2);
      const name = uniqueName('lock');
      const ttlMs = lockTtl(a, 60_000);
      const before = Date.now();
      const lease = await a.lock(name, { ttlMs }).acquire();
      expect(lease.expiresAt).toBeLessThanOrEqual(before + ttlMs);
      expect(lease.expiresAt).toBeGreaterThan(Date.now() + ttlMs / 2);
      const info = await b.lock(name).inspect();
      expect(info.expiresAt).toBeDefined();
      expect(lease.expiresAt).toBeLessThanOrEqual(info.expiresAt! + 1_000); // store clock, same host
      await lease.release();
    });

    it('a TTL below the backend minimum is raised to it, not refused', async () => {
      const [a] = await clients.many(1);
      const name = uniqueName('lock');
      const lease = await a.lock(name, { ttlMs: 1 }).acquire({ waitMs: 0 });
      expect(lease.ttlMs).toBe(Math.max(1, a.capabilities.locks.minTtlMs));
      await lease.release();
    });
  });
}
