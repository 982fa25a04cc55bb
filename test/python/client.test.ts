/**
 * Runs the Python client's unittest suite (clients/python/tests) under vitest, so `npm test` and
 * .ci/run cover it. The Python tests start what they need themselves — `node dist/cli/main.js
 * serve` on free ports (memory://, and redis:// over their own redis-server) — so they also run
 * alone: `python3 -m unittest discover -s clients/python/tests -v`. They import the client from
 * clients/python/src (the checkout), installed or not. Skipped, with the reason, when python3 is
 * missing — except under CI, where a missing python3 fails instead of hiding the tests.
 */
import { execFile, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const python = spawnSync('python3', ['--version']).status === 0 || process.env.CI !== undefined;
const title = python ? 'clients/python (unittest)' : 'clients/python (skipped: python3 is not installed)';

interface Run {
  code: number | null;
  output: string;
}

function unittest(): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      'python3',
      ['-m', 'unittest', 'discover', '-s', 'clients/python/tests', '-v'],
      {
        cwd: root,
        env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1', PYTHONUNBUFFERED: '1' },
        maxBuffer: 16 * 1024 * 1024,
        timeout: 240_000,
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
        resolve({ code, output: `${stdout}${stderr}` });
      },
    );
  });
}

describe.skipIf(!python)(title, () => {
  it('every Python client test passes against a real baton serve (memory and Redis)', {
    timeout: 250_000,
  }, async () => {
    const run = await unittest();
    // The lost-update figures and the paused worker's takeover time, for the CI log.
    for (const line of run.output.split('\n'))
      if (/Pool\(|paused worker:/.test(line)) console.log(line.trim());
    if (run.code !== 0) expect.fail(`python3 -m unittest exited ${run.code}:\n${run.output}`);
    expect(run.output).toMatch(/\nOK/);
    expect(run.output).not.toMatch(/skipped/);
  });
});
