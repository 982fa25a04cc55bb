/**
 * The server's /openapi.json passes `redocly lint` (npm @redocly/cli, the recommended rules of
 * redocly.yaml) with no error and no warning (issue 16: it reported a missing `servers`, a missing
 * license and two operations without a 4XX response).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './support/server.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const REDOCLY = join(ROOT, 'node_modules', '.bin', 'redocly');

let s: TestServer;
let dir: string;
beforeAll(async () => {
  s = await startTestServer('memory://openapi-lint', { logLevel: 'warn' });
  dir = mkdtempSync(join(tmpdir(), 'baton-redocly-'));
});
afterAll(async () => {
  await s?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

it('redocly lint finds no error and no warning in /openapi.json', async () => {
  const res = await fetch(`${s.url}/openapi.json`);
  expect(res.status).toBe(200);
  const file = join(dir, 'openapi.json');
  writeFileSync(file, await res.text());

  const child = spawn(REDOCLY, ['lint', file, '--config', join(ROOT, 'redocly.yaml'), '--format=json'], {
    cwd: dir,
    // No telemetry and no update check: the test talks to nothing but this machine.
    env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => {
    out += c.toString();
  });
  child.stderr.on('data', (c: Buffer) => {
    err += c.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));

  const report = JSON.parse(out) as {
    totals: { errors: number; warnings: number; ignored: number };
    problems: { ruleId: string; message: string }[];
  };
  expect(report.problems.map((p) => `${p.ruleId}: ${p.message}`)).toEqual([]);
  expect(report.totals).toEqual({ errors: 0, warnings: 0, ignored: 0 });
  expect(code, err).toBe(0);
}, 120_000);
