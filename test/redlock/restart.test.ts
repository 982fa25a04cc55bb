/**
 * Masters that restart without persistence (no AOF, no RDB: they come back empty) under a held
 * lease, as documented in docs/SAFETY.md#redlock:
 *
 * - a minority (2 of 5) restarts: the lease still holds on a quorum (extend works, nobody else
 *   gets the lock), and every later fence exceeds the earlier ones, because the three masters that
 *   kept their data meet every future quorum;
 * - a majority (3 of 5) restarts: the lease is lost (extend fails with LockLostError) and another
 *   client acquires the lock — with a fence that repeats an earlier one, since the masters it got
 *   its quorum from forgot their counters. That case is not covered by the fence guarantee; the
 *   test pins down the documented behaviour.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackendUnavailableError, type Baton, connect, type Lease, LockLostError } from '../../src/index.js';
import type { RedisHandle } from '../support/services.js';
import { closeAll, RECOVERY_MS, randomPrefix, redlockUrl, startMasters, stopMasters } from './helpers.js';

/** grantSome acquires and releases `name` `n` times, so its fence is well above 1; resolves to the last fence. */
async function grantSome(b: Baton, name: string, n: number): Promise<number> {
  let fence = 0;
  for (let i = 0; i < n; i++) {
    const lease = await b.lock(name, { ttlMs: 30_000 }).acquire();
    fence = lease.fence;
    await lease.release();
  }
  return fence;
}

/**
 * extendOnceReconnected extends the lease, retrying while the answer is BackendUnavailableError
 * (the client is still reconnecting to the restarted masters), and resolves to the error that
 * ended it, or undefined when the extension was granted.
 */
async function extendOnceReconnected(lease: Lease): Promise<unknown> {
  const deadline = performance.now() + RECOVERY_MS;
  for (;;) {
    try {
      await lease.extend();
      return undefined;
    } catch (err) {
      if (!(err instanceof BackendUnavailableError) || performance.now() > deadline) return err;
      await sleep(50);
    }
  }
}

describe('redlock: masters restarting without persistence under a held lease', () => {
  let masters: RedisHandle[] = [];
  let url = '';
  const batons: Baton[] = [];
  beforeAll(async () => {
    masters = await startMasters(5);
    url = redlockUrl(masters, { prefix: randomPrefix(), timeoutMs: 1000 });
  });
  afterAll(async () => {
    await closeAll(batons);
    await stopMasters(masters);
  });
  const client = async () => {
    const b = await connect(url);
    batons.push(b);
    return b;
  };

  it('a minority restarts empty: the lease holds, and later fences still exceed earlier ones', async () => {
    const a = await client();
    const name = 'minority';
    const before = await grantSome(a, name, 5);
    const holder = await a.lock(name, { ttlMs: 30_000 }).acquire();
    expect(holder.fence).toBeGreaterThan(before);
    await Promise.all([masters[0]!.restart(), masters[1]!.restart()]);

    expect(await extendOnceReconnected(holder)).toBeUndefined();
    expect(holder.lost).toBe(false);
    const b = await client();
    expect(await b.lock(name).tryAcquire()).toBeNull();
    expect(await b.lock(name).inspect()).toMatchObject({ held: true, fence: holder.fence });
    expect(await holder.release()).toBe(true);
    const next = await b.lock(name, { ttlMs: 30_000 }).acquire({ waitMs: 5_000 });
    expect(next.fence).toBeGreaterThan(holder.fence);
    await next.release();
  }, 60_000);

  it('a majority restarts empty: the lease is lost, another client acquires, and its fence can repeat an old one', async () => {
    const a = await client();
    const name = 'majority';
    await grantSome(a, name, 5);
    const holder = await a.lock(name, { ttlMs: 30_000 }).acquire();
    await Promise.all([masters[0]!.restart(), masters[1]!.restart(), masters[2]!.restart()]);

    const err = await extendOnceReconnected(holder);
    expect(err).toBeInstanceOf(LockLostError);
    expect(err).toMatchObject({ reason: 'extend_refused' });
    expect(holder.signal.aborted).toBe(true);
    const b = await client();
    const taker = await b.lock(name, { ttlMs: 30_000 }).tryAcquire();
    expect(taker).not.toBeNull();
    // Documented, not guaranteed against: the quorum {0, 1, 2} forgot every counter.
    expect(taker!.fence).toBeLessThanOrEqual(holder.fence);
    expect(await holder.release()).toBe(false);
    expect(await taker!.release()).toBe(true);
  }, 60_000);
});
