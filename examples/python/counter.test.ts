/**
 * Runs examples/python/counter.py (standard library only, multiprocessing.Pool) against a baton
 * server on an ephemeral port and checks both totals are exact. Skipped, with the reason, when
 * python3 is not installed.
 */
import { execFile, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../test/server/support/server.js';

const run = promisify(execFile);
const python = spawnSync('python3', ['--version']).status === 0;
const script = fileURLToPath(new URL('./counter.py', import.meta.url));

const title = python
  ? 'examples/python/counter.py'
  : 'examples/python/counter.py (skipped: python3 is not installed)';

describe.skipIf(!python)(title, () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer('memory://python-example', { logLevel: 'warn' });
  });
  afterAll(() => s?.stop());

  it('8 Python worker processes × 50 locked, fenced increments and 50 incr each give exact totals', {
    timeout: 180_000,
  }, async () => {
    const { stdout } = await run('python3', [script], {
      env: { ...process.env, BATON_URL: s.url, WORKERS: '8', EACH: '50', BATON_DICT: 'py-counter' },
    });
    expect(JSON.parse(stdout)).toEqual({ expected: 400, locked: 400, incr: 400 });
    expect(await s.baton.dict('py-counter').get('locked')).toBe(400);
  });
});
