/**
 * `baton dict …` and `baton locks` / `baton lock inspect`: the built CLI against a real server on
 * an ephemeral port. Values round-trip as JSON, conditions and fences refuse with exit 4, an
 * absent key is exit 3, and `watch` prints one JSON line per change and resumes with
 * --from-version without a gap or a repeat.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../server/support/server.js';
import { waitUntil } from '../support/wait.js';
import { cli, jsonLines, MAIN, startCli, uniqueName } from './support.js';

let s: TestServer;
let env: Record<string, string>;
beforeAll(async () => {
  s = await startTestServer('memory://cli-dict', { logLevel: 'warn' });
  env = { BATON_URL: s.url };
});
afterAll(() => s?.stop());

describe('baton dict', () => {
  it('set, get, --entry, incr, list and delete; 3 for an absent key', async () => {
    const d = uniqueName('cli-d');
    expect(await cli(['dict', 'set', d, 'job-1', '{"state": "queued", "n": [1, 2]}'], env)).toMatchObject({
      code: 0,
      stdout: '{"version":1}\n',
    });
    expect((await cli(['dict', 'get', d, 'job-1'], env)).stdout).toBe('{"state":"queued","n":[1,2]}\n');
    expect(JSON.parse((await cli(['dict', 'get', d, 'job-1', '--entry'], env)).stdout)).toEqual({
      value: { state: 'queued', n: [1, 2] },
      version: 1,
    });
    expect((await cli(['dict', 'set', d, '__proto__', '-'], env, { input: '"from stdin"\n' })).code).toBe(0);
    expect(await s.baton.dict(d).get('__proto__')).toBe('from stdin');
    expect((await cli(['dict', 'incr', d, 'runs'], env)).stdout).toBe('{"value":1,"version":3}\n');
    expect((await cli(['dict', 'incr', d, 'runs', '--', '-3'], env)).stdout).toBe(
      '{"value":-2,"version":4}\n',
    );
    expect(jsonLines((await cli(['dict', 'list', d], env)).stdout)).toEqual([
      { key: '__proto__', value: 'from stdin', version: 2 },
      { key: 'job-1', value: { state: 'queued', n: [1, 2] }, version: 1 },
      { key: 'runs', value: -2, version: 4 },
    ]);
    expect(
      jsonLines((await cli(['dict', 'list', d, '--prefix', 'job', '--limit', '5'], env)).stdout),
    ).toHaveLength(1);
    expect(await cli(['dict', 'delete', d, 'job-1'], env)).toMatchObject({
      code: 0,
      stdout: '{"deleted":true}\n',
    });
    const absent = await cli(['dict', 'get', d, 'job-1'], env);
    expect(absent).toMatchObject({
      code: 3,
      stdout: '',
      stderr: `baton: key "job-1" not found in dict "${d}"\n`,
    });
    expect((await cli(['dict', 'delete', d, 'job-1'], env)).code).toBe(3);
  });

  it('--if-version and --fence refuse with exit 4; incr on a non-number too; --ttl expires', {
    timeout: 120_000, // a dozen CLI processes, each a node start on a loaded machine
  }, async () => {
    const d = uniqueName('cli-cond');
    expect((await cli(['dict', 'set', d, 'k', '1', '--if-version', '0'], env)).code).toBe(0);
    const taken = await cli(['dict', 'set', d, 'k', '2', '--if-version', '0'], env);
    expect(taken.code).toBe(4);
    expect(taken.stderr).toMatch(/^baton: version conflict on key "k": expected absent, found version 1\n$/);
    expect((await cli(['dict', 'set', d, 'k', '2', '--if-version', '1'], env)).code).toBe(0);
    expect((await cli(['dict', 'delete', d, 'k', '--if-version', '1'], env)).code).toBe(4);
    expect((await cli(['dict', 'incr', d, 'k'], env)).code).toBe(0);
    await s.baton.dict(d).set('text', 'abc');
    expect((await cli(['dict', 'incr', d, 'text'], env)).code).toBe(4);

    const lock = uniqueName('cli-fence');
    const old = await s.baton.lock(lock).acquire(); // fences must be issued by real grants
    await old.release();
    const fresh = await s.baton.lock(lock).acquire();
    await fresh.release();
    expect((await cli(['dict', 'set', d, 'r', '"new"', '--fence', `${lock}:${fresh.fence}`], env)).code).toBe(
      0,
    );
    const stale = await cli(['dict', 'set', d, 'r', '"old"', '--fence', `${lock}:${old.fence}`], env);
    expect(stale.code).toBe(4);
    expect(stale.stderr).toMatch(/refused: a newer fence was already accepted/);
    const forged = await cli(
      ['dict', 'set', d, 'r', '"forged"', '--fence', `${lock}:${fresh.fence + 1000}`],
      env,
    );
    expect(forged.code).toBe(4);
    expect(forged.stderr).toMatch(/refused: no grant of that lock has issued this fence/);

    // --ttl reaches the store: a TTL far longer than any stall the test can see sets an expiry
    // that brackets the CLI's run (a 300 ms TTL read back alive raced a CLI slowed by a busy CPU).
    const before = Date.now();
    // A bare --ttl is seconds (3600 was 3.6 s when a bare number meant milliseconds).
    expect((await cli(['dict', 'set', d, 'kept', 'true', '--ttl', '3600'], env)).code).toBe(0);
    const after = Date.now();
    const kept = await s.baton.dict(d).getEntry('kept'); // in-process: a CLI call costs a CPU-second
    expect(kept).toMatchObject({ value: true });
    // the memory store's clock is timeOrigin + performance.now(), which may drift from Date.now() a little
    expect(kept!.expiresAt).toBeGreaterThanOrEqual(before + 3_600_000 - 1_000);
    expect(kept!.expiresAt).toBeLessThanOrEqual(after + 3_600_000 + 1_000);
    // … and a short one does expire: wait for the event with a deadline load cannot eat.
    expect((await cli(['dict', 'set', d, 'brief', 'true', '--ttl', '300ms'], env)).code).toBe(0);
    await waitUntil(async () => (await s.baton.dict(d).get('brief')) === undefined, '"brief" expiring');
    expect((await cli(['dict', 'get', d, 'brief'], env)).code).toBe(3);
  });

  it('watch prints one JSON line per change, and --from-version resumes without a gap', async () => {
    const d = uniqueName('cli-watch');
    const dict = s.baton.dict<number>(d);
    await dict.set('before', 0);
    // From version 1 rather than "from now", so the test need not guess when the watch is open.
    const live = startCli(['dict', 'watch', d, '--from-version', '1', '--count', '3'], env);
    await dict.set('a', 1);
    await dict.delete('before');
    await dict.batch([{ op: 'set', key: 'b', value: 2 }]);
    const first = await live.exited;
    expect(first.code, first.stderr).toBe(0);
    const seen = jsonLines(first.stdout) as Array<{ version: number }>;
    expect(seen).toEqual([
      { type: 'set', key: 'a', value: 1, version: 2 },
      { type: 'delete', key: 'before', version: 3 },
      { type: 'set', key: 'b', value: 2, version: 4 },
    ]);
    await dict.set('c', 3);
    const resumed = await cli(['dict', 'watch', d, '--from-version', '3', '--count', '2'], env);
    expect(jsonLines(resumed.stdout)).toEqual([
      { type: 'set', key: 'b', value: 2, version: 4 },
      { type: 'set', key: 'c', value: 3, version: 5 },
    ]);
    const prefixed = await cli(
      ['dict', 'watch', d, '--from-version', '0', '--prefix', 'c', '--count', '1'],
      env,
    );
    expect(jsonLines(prefixed.stdout)).toEqual([{ type: 'set', key: 'c', value: 3, version: 5 }]);
  });

  it('watch ends with exit 0 on SIGTERM, and a closed pipe ends it quietly', async () => {
    const d = uniqueName('cli-watch-stop');
    const dict = s.baton.dict<number>(d);
    await dict.set('k', 0);
    const p = startCli(['dict', 'watch', d, '--from-version', '0'], env);
    await p.waitFor(/"version":1/); // running, with its signal handlers in place
    p.child.kill('SIGTERM');
    expect(await p.exited).toMatchObject({ code: 0, stderr: '' });

    const writer = setInterval(() => void dict.incr('k'), 100);
    try {
      const piped = await cli(
        [
          '-c',
          `"${process.execPath}" "${MAIN}" dict watch ${d} --from-version 0 | head -n 1; echo "baton=\${PIPESTATUS[0]}"`,
        ],
        env,
        { shell: 'bash' },
      );
      expect(piped.stdout).toBe('{"type":"set","key":"k","value":0,"version":1}\nbaton=0\n');
      expect(piped.stderr).toBe('');
    } finally {
      clearInterval(writer);
    }
  });
});

describe('baton locks and baton lock inspect', () => {
  it('list held locks (table and JSON) and inspect one, never with its token', async () => {
    const name = uniqueName('cli-locks');
    const lease = await s.baton.lock(name, { ttlMs: 60_000, owner: 'worker-7' }).acquire();
    try {
      const table = await cli(['locks', '--prefix', name], env);
      expect(table.code).toBe(0);
      expect(table.stdout).toMatch(
        new RegExp(`^NAME\\s+FENCE\\s+EXPIRES IN\\s+OWNER\\n${name}\\s+1\\s+\\d+s\\s+worker-7\\n$`),
      );
      expect(jsonLines((await cli(['locks', '--prefix', name, '--json'], env)).stdout)).toEqual([
        { name, held: true, fence: 1, expiresAt: expect.any(Number), owner: 'worker-7' },
      ]);
      const inspected = await cli(['lock', 'inspect', name], env);
      expect(JSON.parse(inspected.stdout)).toEqual({
        name,
        held: true,
        fence: 1,
        expiresAt: expect.any(Number),
        owner: 'worker-7',
      });
      expect(inspected.stdout).not.toContain(lease.token);
    } finally {
      await lease.release();
    }
    expect(JSON.parse((await cli(['lock', 'inspect', name], env)).stdout)).toEqual({
      name,
      held: false,
      fence: 1,
    });
    expect((await cli(['locks', '--prefix', name], env)).stdout).toBe('no locks are held\n');
  });
});
