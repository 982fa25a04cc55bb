/**
 * Runs the Python examples (examples/python/*.py: the baton Python client from clients/python/src,
 * multiprocessing.Pool workers) against a baton server on an ephemeral port, checks their results,
 * and checks each run deleted the dict it made (GET /v1/dicts lists none). Skipped, with the reason,
 * when python3 is not installed — except under CI, where that fails instead.
 */
import { execFile, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../test/server/support/server.js';

const run = promisify(execFile);
const python = spawnSync('python3', ['--version']).status === 0 || process.env.CI !== undefined;
const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));
const clientSrc = fileURLToPath(new URL('../../clients/python/src', import.meta.url));

const title = python ? 'examples/python' : 'examples/python (skipped: python3 is not installed)';

describe.skipIf(!python)(title, () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer('memory://python-example', { logLevel: 'warn' });
  });
  afterAll(() => s?.stop());

  /** python runs an example with the client from this checkout (installed or not). */
  function python3(script: string, env: Record<string, string>) {
    return run('python3', [here(script)], {
      env: { ...process.env, PYTHONPATH: clientSrc, BATON_URL: s.url, ...env },
    });
  }

  async function dictsLeft(): Promise<unknown> {
    return ((await (await fetch(`${s.url}/v1/dicts`)).json()) as { dicts: unknown[] }).dicts;
  }

  it('counter.py: 8 Python worker processes × 10 locked, fenced increments and 10 incr each give exact totals', {
    timeout: 180_000,
  }, async () => {
    const { stdout } = await python3('./counter.py', { WORKERS: '8', EACH: '10', BATON_DICT: 'py-counter' });
    expect(JSON.parse(stdout)).toEqual({ expected: 80, locked: 80, incr: 80 });
    expect(await dictsLeft()).toEqual([]);
  });

  it('chunked_average.py: a Pool averages range chunks through client.dict, with progress and an exact mean', {
    timeout: 180_000,
  }, async () => {
    const { stdout, stderr } = await python3('./chunked_average.py', {
      ITEMS: '200000',
      CHUNK: '20000',
      WORKERS: '4',
    });
    const result = JSON.parse(stdout);
    expect(result).toMatchObject({ items: 200000, chunks: 10, mean: 99999.5, expected: 99999.5, done: 10 });
    expect(result.progressSeen).toBe(10);
    expect(stderr).toContain('progress: 10/10 chunks');
    expect(await dictsLeft()).toEqual([]);
  });
});
