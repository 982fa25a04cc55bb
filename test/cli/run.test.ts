/**
 * `baton run --lock`, the built CLI as a child process against a real server on an ephemeral
 * port: exit status passthrough, the command's environment, -n/--no-wait and -w/--wait when busy,
 * signals forwarded and the lock released, and a lost lease stopping the command (the baton
 * process is paused with SIGSTOP past its TTL, so another client can take the lock meanwhile).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../server/support/server.js';
import { mostAtOnce, Stays } from './stays.js';
import { cli, startCli, uniqueName } from './support.js';

const NODE = process.execPath;
// PRINT_ENV prints the command's pid and environment as one JSON line.
const PRINT_ENV =
  'console.log(JSON.stringify({ pid: process.pid, lock: process.env.BATON_LOCK, fence: process.env.BATON_FENCE, url: process.env.BATON_URL }));';
// CHILD prints that line once its handlers are in place, then idles; on SIGTERM it says so and
// exits 0 (or, with IGNORE_TERM, keeps running so that only SIGKILL ends it).
const CHILD = `
process.on('SIGTERM', () => { console.log('child: SIGTERM'); if (!process.env.IGNORE_TERM) process.exit(0); });
process.on('SIGINT', () => { console.log('child: SIGINT'); process.exit(3); });
${PRINT_ENV}
setInterval(() => {}, 1000);
`;

let s: TestServer;
let env: Record<string, string>;
beforeAll(async () => {
  s = await startTestServer('memory://cli-run', { logLevel: 'warn' });
  env = { BATON_URL: s.url };
});
afterAll(() => s?.stop());

describe('baton run', () => {
  it('passes the exit status through and gives the command BATON_LOCK, BATON_FENCE and BATON_URL', async () => {
    const lock = uniqueName('run-env');
    const r = await cli(['run', '--lock', lock, '--', NODE, '-e', `${PRINT_ENV} process.exit(7)`], env);
    expect(r.code, r.stderr).toBe(7);
    expect(JSON.parse(r.stdout)).toEqual({ pid: expect.any(Number), lock, fence: '1', url: s.url });
    const again = await cli(['run', '--lock', lock, NODE, '-e', 'console.log(process.env.BATON_FENCE)'], env);
    expect({ code: again.code, out: again.stdout }).toEqual({ code: 0, out: '2\n' });
    expect(await s.baton.lock(lock).inspect()).toMatchObject({ held: false, fence: 2 });
  });

  it('exits 128+n when a signal ends the command, and 127 when there is no such command', async () => {
    const lock = uniqueName('run-sig');
    const killed = await cli(
      ['run', '--lock', lock, '--', NODE, '-e', 'process.kill(process.pid, "SIGKILL")'],
      env,
    );
    expect(killed.code).toBe(137);
    const missing = await cli(['run', '--lock', lock, '--', 'no-such-command-baton-test'], env);
    expect(missing.code).toBe(127);
    expect(missing.stderr).toMatch(/cannot run "no-such-command-baton-test": command not found/);
    expect(await s.baton.lock(lock).inspect()).toMatchObject({ held: false });
  });

  it('--no-wait and -n exit 75 at once while another holder has the lock; -w gives up with 75 too', async () => {
    const lock = uniqueName('run-busy');
    const held = await s.baton.lock(lock, { ttlMs: 30_000, owner: 'test-holder' }).acquire();
    try {
      const busy = await cli(
        ['run', '--lock', lock, '--no-wait', '--', NODE, '-e', 'console.log("ran")'],
        env,
      );
      expect({ code: busy.code, out: busy.stdout }).toEqual({ code: 75, out: '' });
      expect(busy.stderr).toMatch(
        /lock ".*" is busy \(held by test-holder, fence 1, expires in .*\); not waiting/,
      );
      // -n as in flock, and it wins over a -w given before it (as in flock).
      const quiet = await cli(['run', '--lock', lock, '-w', '20s', '-n', '-q', '--', 'true'], env);
      expect({ code: quiet.code, err: quiet.stderr }).toEqual({ code: 75, err: '' });
      const started = performance.now();
      // -w as in flock: a bare number is seconds (0.4 was 0.4 ms when a bare number meant ms).
      const waited = await cli(['run', '--lock', lock, '-w', '0.4', '--', 'true'], env);
      expect(waited.code).toBe(75);
      expect(performance.now() - started).toBeGreaterThanOrEqual(400);
      expect(waited.stderr).toMatch(/waiting up to 400ms…[\s\S]*was not granted within 400ms/);
    } finally {
      await held.release();
    }
    const free = await cli(['run', '--lock', lock, '--no-wait', '--', 'true'], env);
    expect(free.code).toBe(0);
  });

  it('waits for the holder by notification and runs when it releases', async () => {
    const lock = uniqueName('run-wait');
    const held = await s.baton.lock(lock).acquire();
    const p = startCli(['run', '--lock', lock, '--wait', '20s', '--', NODE, '-e', 'console.log("ran")'], env);
    await p.waitFor(/waiting up to 20s/, 'stderr');
    expect(p.stdout()).toBe('');
    await held.release();
    const r = await p.exited;
    expect({ code: r.code, out: r.stdout }).toEqual({ code: 0, out: 'ran\n' });
    expect(r.stderr).toMatch(/got lock ".*" \(fence 2\)/);
  });

  it('forwards SIGTERM and SIGINT to the command and releases the lock once it ends', async () => {
    const lock = uniqueName('run-term');
    const term = startCli(['run', '--lock', lock, '--', NODE, '-e', CHILD], env);
    await term.waitFor(/"pid"/);
    expect(await s.baton.lock(lock).inspect()).toMatchObject({ held: true });
    term.child.kill('SIGTERM');
    const r = await term.exited;
    expect({ code: r.code, out: r.stdout }).toMatchObject({
      code: 0,
      out: expect.stringContaining('child: SIGTERM'),
    });
    expect(await s.baton.lock(lock).inspect()).toMatchObject({ held: false });

    const int = startCli(['run', '--lock', lock, '--', NODE, '-e', CHILD], env);
    await int.waitFor(/"pid"/);
    int.child.kill('SIGINT');
    expect((await int.exited).code).toBe(3);
    expect(await s.baton.lock(lock).inspect()).toMatchObject({ held: false });
  });

  it('a signal while still waiting for the lock ends baton with 128+n and runs nothing', async () => {
    const lock = uniqueName('run-int-wait');
    const held = await s.baton.lock(lock).acquire();
    try {
      const p = startCli(['run', '--lock', lock, '--', NODE, '-e', 'console.log("ran")'], env);
      await p.waitFor(/waiting…/, 'stderr');
      p.child.kill('SIGINT');
      const r = await p.exited;
      expect({ code: r.code, out: r.stdout }).toEqual({ code: 130, out: '' });
    } finally {
      await held.release();
    }
  });

  it('keeps the lease while the command outlives several TTLs', { timeout: 30_000 }, async () => {
    const lock = uniqueName('run-extend');
    const r = await cli(
      ['run', '--lock', lock, '--ttl', '1s', '--', NODE, '-e', 'setTimeout(() => {}, 2200)'],
      env,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
  });

  it('a bare --ttl is seconds, as in flock and timeout: --ttl 2 holds through a 3 s command', async () => {
    // It was milliseconds: `--ttl 2` took a 2 ms lease, lost it at once and exited 70.
    const lock = uniqueName('run-ttl-seconds');
    const p = startCli(
      [
        'run',
        '--lock',
        lock,
        '--ttl',
        '2',
        '--',
        NODE,
        '-e',
        'console.log("started"); setTimeout(() => {}, 3000)',
      ],
      env,
    );
    await p.waitFor(/started/);
    const info = await s.baton.lock(lock).inspect();
    expect(info.held).toBe(true);
    // a 2 s lease (extended every ~0.7 s), not 2 ms nor 2 min; 1 s of slack for clock drift
    expect(info.expiresAt! - Date.now()).toBeLessThanOrEqual(3_000);
    const r = await p.exited;
    expect({ code: r.code, err: r.stderr }).toEqual({ code: 0, err: '' });
  });

  it('a lost lease gets the command SIGTERM, and baton exits 70', { timeout: 30_000 }, async () => {
    const lock = uniqueName('run-lost');
    const p = startCli(['run', '--lock', lock, '--ttl', '1s', '--grace', '5s', '--', NODE, '-e', CHILD], env);
    await p.waitFor(/"pid"/);
    process.kill(p.pid, 'SIGSTOP'); // baton can no longer extend; the child keeps running
    let taken: Awaited<ReturnType<typeof tryTake>>;
    try {
      taken = await tryTake(lock, 10_000);
    } finally {
      process.kill(p.pid, 'SIGCONT');
    }
    try {
      const r = await p.exited;
      expect(r.code, r.stderr).toBe(70);
      expect(r.stdout).toContain('child: SIGTERM');
      expect(r.stderr).toMatch(
        /lost the lock ".*" \(expired\) while the command ran; stopping it: SIGTERM now/,
      );
      expect(await s.baton.lock(lock).inspect()).toMatchObject({ held: true, fence: 2 }); // still the new holder's
    } finally {
      await taken.release();
    }
  });

  it('a command that ignores SIGTERM after the lease is lost is killed after --grace', {
    timeout: 30_000,
  }, async () => {
    const lock = uniqueName('run-kill');
    const p = startCli(['run', '--lock', lock, '--ttl', '1s', '--grace', '300ms', '--', NODE, '-e', CHILD], {
      ...env,
      IGNORE_TERM: '1',
    });
    const { pid } = JSON.parse((await p.waitFor(/\{.*\}/))[0]) as { pid: number };
    process.kill(p.pid, 'SIGSTOP');
    await sleep(1_500);
    process.kill(p.pid, 'SIGCONT');
    const r = await p.exited;
    expect(r.code).toBe(70);
    expect(r.stdout).toContain('child: SIGTERM');
    expect(() => process.kill(pid, 0)).toThrow(/ESRCH/);
  });

  it('runs the command at most once at a time across concurrent runs', { timeout: 60_000 }, async () => {
    // Each command only records its stay (stays.ts), so it starts no baton client of its own. The
    // cost is four CLI starts, then three handoffs in a row (release, grant, process start): 15 s
    // was seen alone at load average 22 on 2 cores, so the deadlines only end a run that hangs.
    const lock = uniqueName('run-serial');
    const stays = new Stays();
    try {
      const runs = await Promise.all(
        Array.from({ length: 4 }, () =>
          cli(['run', '--lock', lock, '--wait', '50s', '-q', '--', ...stays.command(300)], env, {
            timeoutMs: 55_000,
          }),
        ),
      );
      expect(
        runs.map((r) => r.code),
        runs.map((r) => r.stderr).join(''),
      ).toEqual([0, 0, 0, 0]);
      const inside = stays.read();
      expect(inside.map((x) => x.fence)).toEqual([1, 2, 3, 4]);
      expect(mostAtOnce(inside)).toBe(1);
    } finally {
      stays.remove();
    }
  });
});

async function tryTake(lock: string, withinMs: number) {
  return s.baton.lock(lock, { ttlMs: 10_000 }).acquire({ waitMs: withinMs });
}
