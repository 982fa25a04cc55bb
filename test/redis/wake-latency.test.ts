/**
 * A Redis waiter is woken by the release's PUBLISH, in about a round trip, not by a polling
 * interval (see test/support/wake-latency.ts for the method).
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { connect } from '../../src/index.js';
import { measureWakeLatency } from '../support/wake-latency.js';

/** BOUND_MS is generous on purpose: a loaded 2-core CI machine, other suites running alongside. */
const BOUND_MS = 200;

describe('redis lock wake-up latency', () => {
  it(`a waiter is granted within ${BOUND_MS} ms (median) of the release`, async () => {
    const url = `${inject('redisUrl')}?prefix=wake-${randomBytes(4).toString('hex')}:`;
    const { median } = await measureWakeLatency('redis', () => connect(url), { rounds: 30, settleMs: 50 });
    expect(median).toBeLessThan(BOUND_MS);
  }, 60_000);
});
