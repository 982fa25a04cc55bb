/**
 * Runs examples/manager/manager.mjs with no BATON_URL, as its one-command form: it starts its own
 * `baton serve`. d[i] = i + 100 from every child, and the incr and update(fn) counters, must be
 * exact; the naive get + set counter is only reported (it usually loses updates, but need not).
 */
import { expect, it } from 'vitest';
import { runExample } from '../shared/run-example.js';

it('6 child processes: d[i] = i + 100, and counters without lost updates beside the naive one', {
  timeout: 120_000,
}, async () => {
  const r = await runExample('manager/manager.mjs', { WORKERS: '6', EACH: '30' });
  expect(r.code, r.stderr).toBe(0);
  const out = JSON.parse(r.stdout) as { naive: number; lostByNaive: number };
  expect(out).toMatchObject({
    exitCodes: [0, 0, 0, 0, 0, 0],
    d: { 0: 100, 1: 101, 2: 102, 3: 103, 4: 104, 5: 105 },
    expected: 180,
    incr: 180,
    update: 180,
  });
  expect(out.naive).toBeLessThanOrEqual(180);
  console.log(`manager example: the naive get + set counter lost ${out.lostByNaive} of 180 increments`);
});
