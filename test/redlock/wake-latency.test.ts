/**
 * A Redlock waiter is woken by the release's PUBLISH on the masters, in about a round trip, not
 * by a polling interval (see test/support/wake-latency.ts for the method).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../src/index.js';
import type { RedisHandle } from '../support/services.js';
import { measureWakeLatency } from '../support/wake-latency.js';
import { randomPrefix, redlockUrl, startMasters, stopMasters } from './helpers.js';

/** BOUND_MS is generous on purpose: a loaded 2-core CI machine, other suites running alongside. */
const BOUND_MS = 250;

describe('redlock lock wake-up latency', () => {
  let masters: RedisHandle[] = [];
  beforeAll(async () => {
    masters = await startMasters(5);
  });
  afterAll(async () => {
    await stopMasters(masters);
  });

  it(`a waiter is granted within ${BOUND_MS} ms (median) of the release`, async () => {
    const url = redlockUrl(masters, { prefix: randomPrefix('wake') });
    const { median } = await measureWakeLatency('redlock', () => connect(url), { rounds: 20, settleMs: 50 });
    expect(median).toBeLessThan(BOUND_MS);
  }, 60_000);
});
