/**
 * Runs examples/cron/simulate.mjs against the test etcd: five `baton run --lock --no-wait`
 * processes start at once and exactly one runs the job; the others exit 75, or skip the period
 * if they start after it was done.
 */
import { expect, inject, it } from 'vitest';
import { runExample } from '../shared/run-example.js';

it('5 machines start the cron job at once on etcd: one runs it, the rest exit 75 or skip', {
  timeout: 120_000,
}, async () => {
  const r = await runExample('cron/simulate.mjs', {
    BATON_URL: inject('etcdUrl'),
    MACHINES: '5',
    JOB_MS: '2000',
  });
  expect(r.code, r.stderr).toBe(0);
  const out = JSON.parse(r.stdout) as {
    ran: string[];
    busy: string[];
    skipped: string[];
    exitCodes: number[];
  };
  expect(out.ran).toHaveLength(1);
  expect(out.busy.length + out.skipped.length).toBe(4);
  for (const code of out.exitCodes) expect([0, 75]).toContain(code);
  if (out.busy.length > 0) expect(r.stderr).toMatch(/is busy .*; not waiting \(--no-wait\)/);
});
