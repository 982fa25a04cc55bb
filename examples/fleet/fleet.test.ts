/**
 * Runs examples/fleet/fleet.mjs against the test Redis (workers connect to it directly): every
 * round of every worker lands exactly once, fences only grow, and the stalled holder's write is
 * refused by the store.
 */
import { expect, inject, it } from 'vitest';
import { runExample } from '../shared/run-example.js';

it('4 worker processes × 20 fenced critical sections on Redis: an exact count, a refused stale write', {
  timeout: 120_000,
}, async () => {
  const r = await runExample('fleet/fleet.mjs', {
    BATON_URL: inject('redisUrl'),
    WORKERS: '4',
    ROUNDS: '20',
  });
  expect(r.code, r.stderr).toBe(0);
  expect(JSON.parse(r.stdout)).toEqual({
    workers: 4,
    rounds: 20,
    exitCodes: [0, 0, 0, 0],
    expected: 80,
    count: 80,
    perWorker: [20, 20, 20, 20],
    fenceOrderViolations: 0,
    staleWriteRefused: true,
  });
});
