/**
 * measureWakeLatency: how long a waiter takes to be granted a lock after its holder releases
 * it, on any backend. The holder's TTL is 60 s, so only the backend's release notification can
 * wake the waiter in time; a polling or TTL-driven backend shows up as a large median. Each round
 * also checks that the waiter's fence is above the holder's. Prints the figures (the per-backend
 * tests assert a bound well below their backend's re-check interval, to tell a notification from
 * a re-check, not to assert speed; the median is what the closing notes report).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'vitest';
import type { Baton } from '../../src/index.js';

/** WakeLatency is the outcome of one measurement, in ms. */
export interface WakeLatency {
  readonly median: number;
  readonly max: number;
  /** pingMedian is the median round trip of `ping()`, for comparison. */
  readonly pingMedian: number;
}

/** measureWakeLatency runs `rounds` release→grant handoffs between two clients of one backend. */
export async function measureWakeLatency(
  label: string,
  connectClient: () => Promise<Baton>,
  options: { rounds: number; settleMs: number },
): Promise<WakeLatency> {
  const [a, b] = await Promise.all([connectClient(), connectClient()]);
  try {
    const latencies: number[] = [];
    const pings: number[] = [];
    for (let i = 0; i < options.rounds; i++) {
      const holder = await a.lock('wake', { ttlMs: 60_000 }).acquire();
      let grantedAt = 0;
      const waiter = b
        .lock('wake', { ttlMs: 60_000 })
        .acquire({ waitMs: 30_000 })
        .then((lease) => {
          grantedAt = performance.now();
          return lease;
        });
      await sleep(options.settleMs); // let the waiter find the lock held and start listening
      const pingStarted = performance.now();
      await b.ping();
      pings.push(performance.now() - pingStarted);
      const releasedAt = performance.now();
      await holder.release();
      const lease = await waiter;
      latencies.push(grantedAt - releasedAt);
      expect(lease.fence).toBeGreaterThan(holder.fence);
      await lease.release();
    }
    const result = { median: median(latencies), max: Math.max(...latencies), pingMedian: median(pings) };
    console.log(
      `${label} wake latency over ${options.rounds} rounds: median ${result.median.toFixed(2)} ms, ` +
        `max ${result.max.toFixed(2)} ms; median ping ${result.pingMedian.toFixed(2)} ms`,
    );
    return result;
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
}

/** median of a non-empty list. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
