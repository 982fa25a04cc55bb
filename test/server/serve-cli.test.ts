/**
 * `baton serve` configuration: it refuses a non-loopback address without auth (exit 2, one
 * line), refuses a malformed tokens file, serves with a tokens file from BATON_AUTH_FILE, and
 * serves a non-loopback address with --insecure.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openRaw } from './support/raw.js';
import { rest } from './support/rest.js';
import { runServe, type Served, spawnServe } from './support/spawn.js';

const dir = mkdtempSync(join(tmpdir(), 'baton-serve-'));
const spawned: Served[] = [];
afterAll(() => {
  for (const s of spawned) if (s.child.exitCode === null) s.child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('baton serve configuration', () => {
  it('refuses 0.0.0.0 without auth, and a malformed tokens file, with exit status 2 and one line', {
    timeout: 60_000,
  }, async () => {
    const open = await runServe(['--host', '0.0.0.0', '--port', '0']);
    expect(open.code).toBe(2);
    expect(open.output.trim()).toBe(
      'baton: refusing to listen on 0.0.0.0 without auth: give --auth-file, or --insecure to serve without it',
    );
    const file = join(dir, 'bad.json');
    writeFileSync(file, '{"tokens": [{"name": "a", "token": "short", "rights": ["read"]}]}');
    const bad = await runServe(['--port', '0', '--auth-file', file]);
    expect(bad.code).toBe(2);
    expect(bad.output).toMatch(/^baton: tokens file: tokens\.0\.token: must be sha256/);
    const port = await runServe(['--port', '99999']);
    expect(port.code).toBe(2);
  });

  it('takes a tokens file from BATON_AUTH_FILE and serves 0.0.0.0 with it; --insecure serves without', {
    timeout: 60_000,
  }, async () => {
    const file = join(dir, 'tokens.json');
    writeFileSync(
      file,
      JSON.stringify({
        tokens: [{ name: 'ci', token: 'ci-token-0123456789', rights: ['read'], dicts: ['*'] }],
      }),
    );
    process.env.BATON_AUTH_FILE = file;
    try {
      const served = await spawnServe(['--host', '0.0.0.0']);
      spawned.push(served);
      const url = served.url.replace('0.0.0.0', '127.0.0.1');
      expect((await rest(url, 'GET', '/v1/dicts/x')).status).toBe(401);
      expect(
        (await rest(url, 'GET', '/v1/dicts/x', { headers: { authorization: 'Bearer ci-token-0123456789' } }))
          .status,
      ).toBe(200);
      served.child.kill('SIGTERM');
      expect(await served.exited).toBe(0);
    } finally {
      delete process.env.BATON_AUTH_FILE;
    }
    const insecure = await spawnServe(['--host', '0.0.0.0', '--insecure']);
    spawned.push(insecure);
    expect((await rest(insecure.url.replace('0.0.0.0', '127.0.0.1'), 'GET', '/v1/locks')).status).toBe(200);
    insecure.child.kill('SIGTERM');
    expect(await insecure.exited).toBe(0);
  });

  it('takes connection limits from flags and environment, and refuses a head timeout over the request timeout', {
    timeout: 60_000,
  }, async () => {
    const bad = await runServe([
      '--port',
      '0',
      '--headers-timeout-ms',
      '5000',
      '--request-timeout-ms',
      '1000',
    ]);
    expect(bad.code).toBe(2);
    expect(bad.output.trim()).toBe('baton: headersTimeoutMs (5000) must not exceed requestTimeoutMs (1000)');
    process.env.BATON_MAX_CONNECTIONS_PER_IP = '1';
    const served = await spawnServe(['--headers-timeout-ms', '500', '--request-timeout-ms', '500']).finally(
      () => {
        delete process.env.BATON_MAX_CONNECTIONS_PER_IP;
      },
    );
    spawned.push(served);
    const slow = await openRaw(served.url);
    slow.socket.write('GET /healthz HTTP/1.1\r\n');
    const refused = await openRaw(served.url);
    await refused.closed;
    expect(refused.received()).toBe('');
    await slow.closed;
    expect(slow.received()).toMatch(/^HTTP\/1\.1 408/);
    served.child.kill('SIGTERM');
    expect(await served.exited).toBe(0);
  });
});
