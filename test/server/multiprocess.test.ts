/**
 * Many processes, one server: 8 forked worker processes (run with tsx) connect with
 * `connect('http://…')` and each do 250 increments of one shared counter — lock-guarded, fenced
 * read-modify-writes, then atomic incr — and the total is exactly 2000 both times. Every lock
 * grant's fence is distinct across the fleet.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueName } from '../conformance/harness.js';
import { startTestServer, type TestServer } from './support/server.js';

const WORKER = fileURLToPath(new URL('./fixtures/counter-worker.ts', import.meta.url));
const WORKERS = 8;
const EACH = 250;

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer('memory://server-multiprocess', { logLevel: 'warn' });
});
afterAll(() => s.stop());

/** runFleet forks the workers and resolves to the fences each reported. */
async function runFleet(mode: 'lock' | 'incr', dict: string, lock: string): Promise<number[][]> {
  const runs = Array.from({ length: WORKERS }, () => {
    const child = fork(WORKER, [s.url, mode, dict, lock, String(EACH)], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let fences: number[] = [];
    child.on('message', (m: { fences: number[] }) => {
      fences = m.fences;
    });
    return new Promise<number[]>((resolve, reject) => {
      child.on('error', reject);
      child.on('exit', (code, signal) =>
        code === 0 ? resolve(fences) : reject(new Error(`worker exited with ${code ?? signal}`)),
      );
    });
  });
  return Promise.all(runs);
}

describe(`${WORKERS} worker processes × ${EACH} increments over http`, () => {
  it('lock-guarded, fenced read-modify-writes give exactly 2000, with 2000 distinct fences', {
    timeout: 240_000,
  }, async () => {
    const dict = uniqueName('dict');
    const lock = uniqueName('lock');
    const fences = await runFleet('lock', dict, lock);
    expect(await s.baton.dict<number>(dict).get('counter')).toBe(WORKERS * EACH);
    const all = fences.flat();
    expect(all).toHaveLength(WORKERS * EACH);
    expect(new Set(all).size).toBe(WORKERS * EACH);
    for (const mine of fences) expect(mine).toEqual([...mine].sort((a, b) => a - b));
  });

  it('atomic incr gives exactly 2000', { timeout: 240_000 }, async () => {
    const dict = uniqueName('dict');
    await runFleet('incr', dict, uniqueName('lock'));
    expect(await s.baton.dict<number>(dict).get('counter')).toBe(WORKERS * EACH);
  });
});
