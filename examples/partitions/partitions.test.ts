/**
 * Runs examples/partitions/partitions.mjs (short) against an in-process baton server: workers own
 * partitions as fenced leases while the nemesis SIGKILLs one, SIGSTOPs another past the TTL and
 * adds one; the total equals the parent's own sum, every chunk's result was accepted exactly once,
 * no stale write was accepted and no partition was owned twice at any instant.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../test/server/support/server.js';
import { runExample } from '../shared/run-example.js';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer('memory://partitions-example', { logLevel: 'warn' });
});
afterAll(() => s?.stop());

it('a fleet under SIGKILL, SIGSTOP and a new worker counts every chunk exactly once', {
  timeout: 300_000,
}, async () => {
  const r = await runExample(
    'partitions/partitions.mjs',
    { BATON_URL: s.url, CHUNKS: '24', PARTITIONS: '4', CHUNK_SIZE: '200', WORKERS: '3', TTL_MS: '1500' },
    290_000,
  );
  expect(r.code, r.stderr).toBe(0);
  const out = JSON.parse(r.stdout) as {
    total: number;
    expected: number;
    violations: string[];
    exitCodes: Record<string, number | string>;
    ok: boolean;
  };
  expect(out.violations).toEqual([]);
  expect(out.total).toBe(out.expected);
  expect(out).toMatchObject({ chunks: 24, partitions: 4, workers: 4, ok: true });
  expect(out.exitCodes).toEqual({ w0: 'SIGKILL', w1: 0, w2: 0, w3: 0 });
  expect(r.stderr).toContain('nemesis: SIGSTOP w1');
});
