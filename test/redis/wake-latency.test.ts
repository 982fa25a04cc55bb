/**
 * A waiter is woken by the release message, in about a round trip, not by a polling interval:
 * the holder's TTL is 60 s, so only the release's PUBLISH can wake it. Prints the median latency
 * from "release called" to "waiter granted" (set BATON_TEST_TIMING=1 to see it in a quiet run).
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, inject, it } from 'vitest';
import { connect } from '../../src/index.js';
import { median } from './helpers.js';

const ROUNDS = 30;
/** BOUND_MS is generous on purpose: a loaded 2-core CI machine, other suites running alongside. */
const BOUND_MS = 200;

describe('redis lock wake-up latency', () => {
  it(`a waiter is granted within ${BOUND_MS} ms (median) of the release`, async () => {
    const url = `${inject('redisUrl')}?prefix=wake-${randomBytes(4).toString('hex')}:`;
    const [a, b] = await Promise.all([connect(url), connect(url)]);
    try {
      const latencies: number[] = [];
      for (let i = 0; i < ROUNDS; i++) {
        const holder = await a.lock('wake', { ttlMs: 60_000 }).acquire();
        let grantedAt = 0;
        const waiter = b
          .lock('wake', { ttlMs: 60_000 })
          .acquire({ waitMs: 30_000 })
          .then((lease) => {
            grantedAt = performance.now();
            return lease;
          });
        await sleep(50); // let the waiter subscribe and find the lock held
        const releasedAt = performance.now();
        await holder.release();
        const lease = await waiter;
        latencies.push(grantedAt - releasedAt);
        await lease.release();
      }
      const m = median(latencies);
      console.log(
        `redis wake latency over ${ROUNDS} rounds: median ${m.toFixed(2)} ms, max ${Math.max(...latencies).toFixed(2)} ms`,
      );
      expect(m).toBeLessThan(BOUND_MS);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  }, 60_000);
});
