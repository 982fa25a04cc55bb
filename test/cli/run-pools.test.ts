/**
 * `baton run --semaphore` and `baton run --rwlock`, and the `baton semaphores` / `baton rwlocks`
 * listings: the built CLI as real child processes against a real server on an ephemeral port.
 * Concurrent runs never hold more permits than the semaphore has; busy and lost leases exit 75
 * and 70 as for a lock; the command's environment fences a write whatever it holds; a --permits
 * that differs from the size in use is a usage error (the flag mistakes are in usage.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../server/support/server.js';
import { mostAtOnce, Stays } from './stays.js';
import { cli, jsonLines, MAIN, startCli, uniqueName } from './support.js';

const NODE = process.execPath;
const PRINT_ENV = `console.log(JSON.stringify(Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('BATON_')))));`;
const IDLE = `process.on('SIGTERM', () => { console.log('child: SIGTERM'); process.exit(0); }); ${PRINT_ENV} setInterval(() => {}, 1000);`;

let s: TestServer;
let env: Record<string, string>;
beforeAll(async () => {
  s = await startTestServer('memory://cli-run-pools', { logLevel: 'warn' });
  env = { BATON_URL: s.url };
});
afterAll(() => s?.stop());

describe('baton run --semaphore', () => {
  it('gives the command BATON_SEMAPHORE, BATON_FENCE and BATON_FENCE_LOCK, passes its status through, returns the permits', async () => {
    const name = uniqueName('run-sem');
    const r = await cli(
      [
        'run',
        '--semaphore',
        name,
        '--permits',
        '3',
        '--count',
        '2',
        '--',
        NODE,
        '-e',
        `${PRINT_ENV} process.exit(9)`,
      ],
      env,
    );
    expect(r.code, r.stderr).toBe(9);
    expect(JSON.parse(r.stdout)).toEqual({
      BATON_URL: s.url,
      BATON_SEMAPHORE: name,
      BATON_FENCE: '1',
      BATON_FENCE_LOCK: `semaphore/${name}`,
    });
    expect(await s.baton.semaphore(name, { permits: 3 }).inspect()).toMatchObject({ used: 0, fence: 1 });
  });

  it('6 concurrent runs with --permits 2 never have more than 2 commands inside at once', {
    timeout: 120_000,
  }, async () => {
    // Each command only records its stay (stays.ts), so it starts no baton client of its own. The
    // cost is six CLI starts at once, then three handoffs in a row, each a release, a grant and a
    // process start: ~7 s idle, 15-35 s seen beside other tests on a loaded 2-core machine (load
    // average 11-22), so the deadlines are far above that; they only end a run that hangs.
    const name = uniqueName('run-sem-fleet');
    const stays = new Stays();
    try {
      const runs = await Promise.all(
        Array.from({ length: 6 }, () =>
          cli(
            [
              'run',
              '--semaphore',
              name,
              '--permits',
              '2',
              '--wait',
              '100s',
              '-q',
              '--',
              ...stays.command(1_000),
            ],
            env,
            { timeoutMs: 110_000 },
          ),
        ),
      );
      expect(
        runs.map((r) => r.code),
        runs.map((r) => r.stderr).join(''),
      ).toEqual([0, 0, 0, 0, 0, 0]);
      const inside = stays.read();
      expect(inside.map((x) => x.fence)).toEqual([1, 2, 3, 4, 5, 6]);
      const most = mostAtOnce(inside);
      expect(most).toBeGreaterThanOrEqual(1);
      expect(most).toBeLessThanOrEqual(2);
      expect(await s.baton.semaphore(name, { permits: 2 }).inspect()).toMatchObject({ used: 0, fence: 6 });
    } finally {
      stays.remove();
    }
  });

  it('runs beside other holders while permits are free; exits 75 when they are not (--no-wait, --wait, --count)', async () => {
    const name = uniqueName('run-sem-busy');
    const sem = s.baton.semaphore(name, { permits: 2, owner: 'test-holder' });
    const first = await sem.acquire({ ttlMs: 30_000 });
    try {
      const beside = await cli(
        ['run', '--semaphore', name, '--permits', '2', '--no-wait', '--', 'true'],
        env,
      );
      expect(beside.code, beside.stderr).toBe(0);
      const two = await cli(
        [
          'run',
          '--semaphore',
          name,
          '--permits',
          '2',
          '--count',
          '2',
          '--no-wait',
          '--',
          NODE,
          '-e',
          'console.log("ran")',
        ],
        env,
      );
      expect({ code: two.code, out: two.stdout }).toEqual({ code: 75, out: '' });
      expect(two.stderr).toMatch(
        /semaphore ".*" is busy \(1 of 2 permits used by test-holder ×1; you asked for 2\); not waiting \(--no-wait\)/,
      );
      const second = await sem.acquire({ ttlMs: 30_000 });
      try {
        const started = performance.now();
        const waited = await cli(
          ['run', '--semaphore', name, '--permits', '2', '--wait', '400ms', '--', 'true'],
          env,
        );
        expect(waited.code).toBe(75);
        expect(performance.now() - started).toBeGreaterThanOrEqual(400);
        expect(waited.stderr).toMatch(/semaphore ".*" was not granted within 400ms/);
      } finally {
        await second.release();
      }
    } finally {
      await first.release();
    }
  });

  it('waits for permits by notification and runs when a holder releases', async () => {
    const name = uniqueName('run-sem-wait');
    const held = await s.baton.semaphore(name, { permits: 1 }).acquire();
    const p = startCli(
      ['run', '--semaphore', name, '--permits', '1', '--wait', '20s', '--', NODE, '-e', 'console.log("ran")'],
      env,
    );
    await p.waitFor(/waiting up to 20s/, 'stderr');
    expect(p.stdout()).toBe('');
    await held.release();
    const r = await p.exited;
    expect({ code: r.code, out: r.stdout }).toEqual({ code: 0, out: 'ran\n' });
    expect(r.stderr).toMatch(/got semaphore ".*" \(fence 2\)/);
  });

  it('a lost lease gets the command SIGTERM, and baton exits 70', { timeout: 30_000 }, async () => {
    const name = uniqueName('run-sem-lost');
    const p = startCli(
      ['run', '--semaphore', name, '--permits', '1', '--ttl', '1s', '--', NODE, '-e', IDLE],
      env,
    );
    await p.waitFor(/BATON_FENCE/);
    process.kill(p.pid, 'SIGSTOP'); // baton can no longer extend; the child keeps running
    let taken: Awaited<ReturnType<typeof takeAll>>;
    try {
      taken = await takeAll(name, 1);
    } finally {
      process.kill(p.pid, 'SIGCONT');
    }
    try {
      const r = await p.exited;
      expect(r.code, r.stderr).toBe(70);
      expect(r.stdout).toContain('child: SIGTERM');
      expect(r.stderr).toMatch(
        /lost the semaphore ".*" \(expired\) while the command ran; stopping it: SIGTERM now/,
      );
      expect(await s.baton.semaphore(name, { permits: 1 }).inspect()).toMatchObject({ used: 1, fence: 2 }); // the new holder's
    } finally {
      await taken.release();
    }
  });

  it('fences a write with "$BATON_FENCE_LOCK:$BATON_FENCE"; the same fence is refused once a newer holder wrote', async () => {
    const name = uniqueName('run-sem-fence');
    const write = `${JSON.stringify(NODE)} ${JSON.stringify(MAIN)} dict set ${name} k "$BATON_FENCE" --fence "$BATON_FENCE_LOCK:$BATON_FENCE"`;
    const first = await cli(['run', '--semaphore', name, '--permits', '1', '--', 'sh', '-c', write], env);
    expect(first.code, first.stderr).toBe(0);
    const second = await cli(['run', '--semaphore', name, '--permits', '1', '--', 'sh', '-c', write], env);
    expect(second.code, second.stderr).toBe(0);
    expect(await s.baton.dict(name).get('k')).toBe(2);
    const stale = await cli(['dict', 'set', name, 'k', '99', '--fence', `semaphore/${name}:1`], env);
    expect(stale.code, stale.stderr).toBe(4);
    expect(await s.baton.dict(name).get('k')).toBe(2);
  });
});

describe('baton run --rwlock', () => {
  it('readers run beside readers; a writer waits for them, and readers for a writer', async () => {
    const name = uniqueName('run-rw');
    const r = await cli(['run', '--rwlock', name, '--read', '--', NODE, '-e', PRINT_ENV], env);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      BATON_URL: s.url,
      BATON_RWLOCK: name,
      BATON_FENCE: '1',
      BATON_FENCE_LOCK: `rwlock/${name}`,
    });
    const reader = await s.baton.rwlock(name, { owner: 'test-reader' }).read();
    try {
      expect((await cli(['run', '--rwlock', name, '--read', '--no-wait', '--', 'true'], env)).code).toBe(0);
      const w = await cli(['run', '--rwlock', name, '--write', '--no-wait', '--', 'true'], env);
      expect(w.code).toBe(75);
      expect(w.stderr).toMatch(
        /rwlock ".*" \(write\) is busy \(held for reading by test-reader, fence \d+\); not waiting/,
      );
    } finally {
      await reader.release();
    }
    const writer = await s.baton.rwlock(name, { owner: 'test-writer' }).write();
    try {
      const rd = await cli(['run', '--rwlock', name, '--read', '--no-wait', '--', 'true'], env);
      expect(rd.code).toBe(75);
      expect(rd.stderr).toMatch(/rwlock ".*" \(read\) is busy \(held for writing by test-writer/);
    } finally {
      await writer.release();
    }
    expect((await cli(['run', '--rwlock', name, '--write', '--', 'true'], env)).code).toBe(0);
  });
});

describe('baton semaphores, baton rwlocks', () => {
  it('list holders as a table or JSON lines, never a token; inspect prints one', async () => {
    const prefix = `${uniqueName('ls')}-`;
    const sem = await s.baton
      .semaphore(`${prefix}s`, { permits: 4, owner: 'worker-1' })
      .acquire({ count: 3, autoExtend: true });
    // autoExtend: on a loaded machine the five CLI calls below can outlast a 30 s lease.
    const rw = await s.baton.rwlock(`${prefix}r`, { owner: 'worker-2' }).write({ autoExtend: true });
    try {
      const table = await cli(['semaphores', '--prefix', prefix], env);
      expect(table.code, table.stderr).toBe(0);
      expect(table.stdout).toMatch(/^NAME +USED +COUNT +FENCE +EXPIRES IN +OWNER\n/);
      expect(table.stdout).toMatch(new RegExp(`${prefix}s +3/4 +3 +1 +\\d+s +worker-1\\n`));
      const json = jsonLines((await cli(['semaphores', '--prefix', prefix, '--json'], env)).stdout);
      expect(json).toEqual([
        {
          name: `${prefix}s`,
          permits: 4,
          used: 3,
          fence: 1,
          holders: [{ count: 3, fence: 1, expiresAt: expect.any(Number), owner: 'worker-1' }],
          waiting: 0,
        },
      ]);
      const rwTable = await cli(['rwlocks', '--prefix', prefix], env);
      expect(rwTable.stdout).toMatch(new RegExp(`${prefix}r +write +1 +\\d+s +worker-2\\n`));
      const inspect = await cli(['rwlock', 'inspect', `${prefix}r`], env);
      expect(JSON.parse(inspect.stdout)).toMatchObject({
        name: `${prefix}r`,
        mode: 'write',
        readers: 0,
        fence: 1,
      });
      for (const out of [table.stdout, rwTable.stdout, inspect.stdout]) {
        expect(out).not.toContain(sem.token);
        expect(out).not.toContain(rw.token);
      }
    } finally {
      await Promise.all([sem.release(), rw.release()]);
    }
    expect((await cli(['semaphores', '--prefix', prefix], env)).stdout).toBe('no semaphores are held\n');
    expect((await cli(['rwlocks', '--prefix', prefix], env)).stdout).toBe('no read-write locks are held\n');
  });
});

describe('baton run --semaphore: a size mismatch', () => {
  it('a --permits that differs from the semaphore in use is exit 2 and runs nothing', async () => {
    const name = uniqueName('run-sem-size');
    const held = await s.baton.semaphore(name, { permits: 2 }).acquire();
    try {
      const r = await cli(
        ['run', '--semaphore', name, '--permits', '3', '--', NODE, '-e', 'console.log("ran")'],
        env,
      );
      expect({ code: r.code, out: r.stdout }).toEqual({ code: 2, out: '' });
      expect(r.stderr).toMatch(/has 2 permits while in use/);
      expect(await s.baton.semaphore(name, { permits: 2 }).inspect()).toMatchObject({ used: 1, fence: 1 });
    } finally {
      await held.release();
    }
  });
});

/** takeAll takes all `permits` of the semaphore, waiting for them up to 10 s. */
function takeAll(name: string, permits: number) {
  return s.baton.semaphore(name, { permits }).acquire({ count: permits, ttlMs: 10_000, waitMs: 10_000 });
}
