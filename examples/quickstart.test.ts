/**
 * Runs examples/quickstart.mjs as a separate Node process that imports baton by its package name
 * (the built package entry, as a user would), and checks what it prints.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const run = promisify(execFile);

it('quickstart runs from the package entry on memory://', async () => {
  const script = fileURLToPath(new URL('./quickstart.mjs', import.meta.url));
  const { stdout } = await run(process.execPath, [script], {
    env: { ...process.env, BATON_URL: 'memory://' },
  });
  expect(JSON.parse(stdout)).toEqual({
    rows: 42,
    latest: { rows: 42 },
    owner: 'fresh',
    staleRefused: true,
    runs: 50,
    total: 100,
  });
});
