/**
 * An etcd waiter is woken by its predecessor's DELETE through the etcd watch, in about one round
 * trip, not by a timer (see test/support/wake-latency.ts for the method).
 */
import { describe, expect, inject, it } from 'vitest';
import { connect } from '../../src/index.js';
import { measureWakeLatency } from '../support/wake-latency.js';
import { batonEtcdUrl } from './helpers.js';

/** BOUND_MS is generous on purpose: a loaded 2-core CI machine, other suites running alongside. */
const BOUND_MS = 250;

describe('etcd lock wake-up latency', () => {
  it(`a waiter is granted within ${BOUND_MS} ms (median) of the release`, async () => {
    const url = batonEtcdUrl(inject('etcdUrl'));
    const { median } = await measureWakeLatency('etcd', () => connect(url), { rounds: 30, settleMs: 100 });
    expect(median).toBeLessThan(BOUND_MS);
  }, 90_000);
});
