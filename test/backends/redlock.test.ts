/**
 * The Redlock backend against the conformance suite: the lock part on five masters started here
 * (`redlock://…` with a random prefix per run), and the dict part — with fenced writes taking
 * their locks from Redlock — plus the bad-input tests on the composed form
 * `{ locks: 'redlock://…', dicts: 'redis://…' }` over the shared redis-server.
 */
import { afterAll, beforeAll, describe, inject } from 'vitest';
import { connect } from '../../src/index.js';
import { badInputTests } from '../conformance/bad-input.js';
import { badOptionsTests } from '../conformance/bad-options.js';
import { runDictConformance, runLockConformance, runSemaphoreConformance } from '../conformance/index.js';
import { randomPrefix, redlockUrl, startMasters, stopMasters } from '../redlock/helpers.js';
import type { RedisHandle } from '../support/services.js';

let masters: RedisHandle[] = [];
let locks = '';
const dicts = `${inject('redisUrl')}?prefix=${randomPrefix('conformance-dicts')}`;

beforeAll(async () => {
  masters = await startMasters(5);
  locks = redlockUrl(masters, { prefix: randomPrefix('conformance') });
});
afterAll(async () => {
  await stopMasters(masters);
});

describe('redlock backend (5 masters): locks', () => {
  runLockConformance({ name: 'redlock', connect: () => connect(locks) });
  // Redlock refuses semaphores (UnsupportedError, docs/SAFETY.md); the suite checks that and skips the rest.
  runSemaphoreConformance({ name: 'redlock', connect: () => connect(locks) });
});

describe('redlock backend composed with redis: dicts', () => {
  const harness = {
    name: 'redlock+redis',
    connect: () => connect({ locks, dicts }),
    connectCompacting: () => connect({ locks, dicts: `${dicts}&history=5` }),
  };
  runDictConformance(harness);
  badInputTests(harness);
  badOptionsTests(harness);
});
