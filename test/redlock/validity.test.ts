/**
 * Redlock never hands out a lease that is already expired (node-redlock #274/#276): when a round
 * takes longer than the TTL — here three of five masters are frozen (SIGSTOP) past it and answer
 * afterwards — the grant is released on every master and not returned; a waiting acquire retries
 * and returns a lease with its validity still ahead of it. A frozen minority, by contrast, costs
 * nothing: a round is decided as soon as a quorum has answered.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Baton, connect } from '../../src/index.js';
import type { RedisHandle } from '../support/services.js';
import { closeAll, randomPrefix, redlockUrl, startMasters, stopMasters, timed } from './helpers.js';

const TTL_MS = 1000;
const FROZEN_MS = 1500;
/** TIMEOUT_MS is how long the client waits for a master's answer. */
const TIMEOUT_MS = 5000;

describe('redlock: a round that outlasts its TTL grants nothing', () => {
  let masters: RedisHandle[] = [];
  let url = '';
  const batons: Baton[] = [];
  beforeAll(async () => {
    masters = await startMasters(5);
    url = redlockUrl(masters, { prefix: randomPrefix(), timeoutMs: TIMEOUT_MS });
  });
  afterAll(async () => {
    await closeAll(batons);
    await stopMasters(masters);
  });

  /** frozen runs `during` with masters 0-2 stopped, and resumes them after FROZEN_MS. */
  async function frozen<T>(during: () => Promise<T>): Promise<T> {
    const pids = masters.slice(0, 3).map((m) => m.pid);
    for (const pid of pids) process.kill(pid, 'SIGSTOP');
    let p: Promise<T>;
    try {
      p = during();
      await sleep(FROZEN_MS);
    } finally {
      for (const pid of pids) process.kill(pid, 'SIGCONT');
    }
    return p;
  }

  it('tryAcquire answers null (not an expired lease) and leaves the lock free on every master', async () => {
    const a = await connect(url);
    batons.push(a);
    const name = 'slow-try';
    const r = await frozen(() => timed(a.lock(name, { ttlMs: TTL_MS }).tryAcquire()));
    expect(r.ms).toBeGreaterThanOrEqual(FROZEN_MS - 100);
    expect(r.value).toBeNull();
    const info = await a.lock(name).inspect();
    expect(info.held).toBe(false);
    expect(info.fence).toBeGreaterThan(0); // the counters were incremented by the abandoned round
    const lease = await a.lock(name, { ttlMs: TTL_MS }).tryAcquire();
    expect(lease).not.toBeNull();
    expect(lease!.fence).toBeGreaterThan(info.fence);
    await lease!.release();
  });

  it('a frozen minority neither blocks nor slows a grant or a release', async () => {
    const a = await connect(url);
    batons.push(a);
    const pids = masters.slice(3).map((m) => m.pid);
    for (const pid of pids) process.kill(pid, 'SIGSTOP');
    try {
      // Waiting for the frozen two would cost the url's timeoutMs (5 s); a round on a busy CPU can
      // take longer than TTL_MS (1 s) without waiting for them, so the TTL and bound leave room for it.
      const got = await timed(a.lock('minority-frozen', { ttlMs: 4 * TIMEOUT_MS }).tryAcquire());
      expect(got.value).not.toBeNull();
      expect(got.ms).toBeLessThan(TIMEOUT_MS);
      const released = await timed(got.value!.release());
      expect(released).toMatchObject({ value: true });
      expect(released.ms).toBeLessThan(TIMEOUT_MS);
    } finally {
      for (const pid of pids) process.kill(pid, 'SIGCONT');
    }
  });

  it('a waiting acquire retries and returns a lease whose validity is still ahead', async () => {
    const a = await connect(url);
    batons.push(a);
    const lease = await frozen(() => a.lock('slow-wait', { ttlMs: TTL_MS }).acquire({ waitMs: 20_000 }));
    expect(lease.lost).toBe(false);
    expect(lease.expiresAt).toBeGreaterThan(Date.now());
    // The 1 s lease may lapse while a busy CPU stalls this test: an answer that came back before
    // the (conservative) expiresAt must still see it held; a later one proves nothing.
    const info = await a.lock('slow-wait').inspect();
    expect(info.fence).toBe(lease.fence);
    if (Date.now() < lease.expiresAt) expect(info.held).toBe(true);
    const released = await lease.release();
    if (Date.now() < lease.expiresAt) expect(released).toBe(true);
  });
});
