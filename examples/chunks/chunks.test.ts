/**
 * Runs examples/chunks/chunks.mjs against an in-process baton server: every chunk is claimed by
 * exactly one worker, the partial sums add up to the parent's own sum, and progress is reported.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../test/server/support/server.js';
import { runExample } from '../shared/run-example.js';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer('memory://chunks-example', { logLevel: 'warn' });
});
afterAll(() => s?.stop());

it('3 workers claim 12 chunks through the dict; the partial sums add up', { timeout: 120_000 }, async () => {
  const r = await runExample('chunks/chunks.mjs', {
    BATON_URL: s.url,
    ITEMS: '60000',
    CHUNK: '5000',
    WORKERS: '3',
  });
  expect(r.code, r.stderr).toBe(0);
  const out = JSON.parse(r.stdout) as { total: number; expected: number; byWorker: Record<string, number> };
  expect(out).toMatchObject({ items: 60_000, chunks: 12, workers: 3, exitCodes: [0, 0, 0], ok: true });
  expect(out.total).toBe(out.expected);
  expect(Object.values(out.byWorker).reduce((a, b) => a + b, 0)).toBe(12);
  expect(r.stderr).toContain('progress: 12/12 chunks');
});
