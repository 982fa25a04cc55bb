/**
 * Auth: 401 without a valid bearer token, 403 outside a token's name patterns or rights, public
 * health endpoints, the tokens file format (raw and sha256: tokens), and the loopback Host guard
 * when auth is off. And no secret — lock token or bearer token — in listings, inspect, logs or
 * metrics.
 */
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, ForbiddenError, UnauthorizedError } from '../../src/index.js';
import { parseTokenFile } from '../../src/server/index.js';
import { uniqueName } from '../conformance/harness.js';
import { expectProblem, rest } from './support/rest.js';
import { startTestServer, type TestServer } from './support/server.js';

const WORKER = 'workers-secret-0123456789';
const READER = 'reader-secret-0123456789';
const FILE = JSON.stringify({
  tokens: [
    {
      name: 'workers',
      token: WORKER,
      rights: ['read', 'write', 'lock'],
      locks: ['jobs-*'],
      dicts: ['jobs', 'stats-*'],
    },
    {
      name: 'dashboard',
      token: `sha256:${createHash('sha256').update(READER).digest('hex')}`,
      rights: ['read'],
      locks: ['*'],
      dicts: ['*'],
    },
  ],
});
const as = (token: string) => ({ authorization: `Bearer ${token}` });

let s: TestServer;
let open: TestServer;
beforeAll(async () => {
  [s, open] = await Promise.all([
    startTestServer('memory://server-auth', { auth: { mode: 'tokens', tokens: parseTokenFile(FILE) } }),
    startTestServer('memory://server-auth-off', { logLevel: 'warn' }),
  ]);
});
afterAll(() => Promise.all([s.stop(), open.stop()]));

describe('auth', () => {
  it('401 without a token, with an unknown one, or with another scheme; health endpoints stay public', async () => {
    for (const headers of [
      {},
      as('nope-nope-nope-nope'),
      { authorization: `Basic ${WORKER}` },
      { authorization: 'Bearer' },
    ]) {
      const r = await rest(s.url, 'GET', '/v1/locks', { headers });
      expectProblem(r, 401, 'unauthorized');
      expect(r.headers.get('www-authenticate')).toBe('Bearer realm="baton"');
    }
    expectProblem(await rest(s.url, 'GET', '/metrics'), 401, 'unauthorized');
    expectProblem(await rest(s.url, 'GET', '/openapi.json'), 401, 'unauthorized');
    expect((await rest(s.url, 'GET', '/healthz')).status).toBe(200);
    expect((await rest(s.url, 'GET', '/readyz')).status).toBe(200);
    expect((await rest(s.url, 'GET', '/metrics', { headers: as(READER) })).status).toBe(200);
  });

  it('403 outside the token’s patterns or rights; inside them it works', async () => {
    const job = `jobs-${uniqueName('x')}`;
    const ok = await rest(s.url, 'POST', `/v1/locks/${job}/acquire`, { json: {}, headers: as(WORKER) });
    expect(ok.status).toBe(200);
    expectProblem(
      await rest(s.url, 'POST', '/v1/locks/other/acquire', { json: {}, headers: as(WORKER) }),
      403,
      'forbidden',
    );
    expectProblem(
      await rest(s.url, 'POST', `/v1/locks/${job}/release`, {
        json: { token: ok.json.token },
        headers: as(READER),
      }),
      403,
      'forbidden',
    );
    expect((await rest(s.url, 'GET', `/v1/locks/${job}`, { headers: as(READER) })).json).toMatchObject({
      held: true,
    });
    expect((await rest(s.url, 'PUT', '/v1/dicts/jobs/keys/a', { json: 1, headers: as(WORKER) })).status).toBe(
      200,
    );
    expect(
      (await rest(s.url, 'PUT', '/v1/dicts/stats-x/keys/a', { json: 1, headers: as(WORKER) })).status,
    ).toBe(200);
    expectProblem(
      await rest(s.url, 'PUT', '/v1/dicts/other/keys/a', { json: 1, headers: as(WORKER) }),
      403,
      'forbidden',
    );
    expectProblem(
      await rest(s.url, 'PUT', '/v1/dicts/jobs/keys/a', { json: 2, headers: as(READER) }),
      403,
      'forbidden',
    );
    expectProblem(
      await rest(s.url, 'GET', '/v1/dicts/other/watch', { headers: as(WORKER) }),
      403,
      'forbidden',
    );
    expect((await rest(s.url, 'GET', '/v1/dicts/jobs/keys/a', { headers: as(READER) })).data).toBe(1);
  });

  it('listings show only the names a token may read', async () => {
    const job = `jobs-${uniqueName('list')}`;
    const other = uniqueName('other');
    await s.baton.lock(job).acquire({ ttlMs: 10_000 });
    await s.baton.lock(other).acquire({ ttlMs: 10_000 });
    const mine = (await rest(s.url, 'GET', '/v1/locks', { headers: as(WORKER) })).json.locks as Array<{
      name: string;
    }>;
    expect(mine.map((l) => l.name)).toContain(job);
    expect(mine.map((l) => l.name)).not.toContain(other);
    const all = (await rest(s.url, 'GET', '/v1/locks', { headers: as(READER) })).json.locks as Array<{
      name: string;
    }>;
    expect(all.map((l) => l.name)).toEqual(expect.arrayContaining([job, other]));
    await s.baton.dict('hidden-dict').set('k', 1);
    const dicts = (await rest(s.url, 'GET', '/v1/dicts', { headers: as(WORKER) })).json.dicts as Array<{
      name: string;
    }>;
    expect(dicts.map((x) => x.name)).not.toContain('hidden-dict');
  });

  it('the http backend carries the token from the URL or BATON_TOKEN; a bad one fails connect', async () => {
    const url = new URL(s.url);
    url.password = WORKER;
    const b = await connect(url.toString());
    try {
      expect(await b.dict('jobs').incr('via-url')).toBe(1);
      await expect(b.dict('other').get('x')).rejects.toBeInstanceOf(ForbiddenError);
    } finally {
      await b.close();
    }
    await expect(connect(s.url)).rejects.toBeInstanceOf(UnauthorizedError);
  });

  it('no lock token or bearer token in listings, inspect, logs or metrics', async () => {
    const job = `jobs-${uniqueName('secret')}`;
    const url = new URL(s.url);
    url.password = WORKER;
    const b = await connect(url.toString());
    const lease = await b.lock(job).acquire({ ttlMs: 10_000 });
    await b.dict('jobs').set('fenced', 1, { fence: lease });
    await lease.extend();
    const raw = await rest(s.url, 'POST', `/v1/locks/${job}-raw/acquire`, { json: {}, headers: as(WORKER) });
    const serverToken = String(raw.json.token);
    await rest(s.url, 'PUT', '/v1/dicts/jobs/keys/g', {
      json: 1,
      headers: {
        ...as(WORKER),
        'baton-fence-lock': `${job}-raw`,
        'baton-fence': '1',
        'baton-lock-token': serverToken,
      },
    });
    await rest(s.url, 'POST', `/v1/locks/${job}-raw/extend`, {
      json: { token: serverToken },
      headers: as(WORKER),
    });
    await rest(s.url, 'POST', `/v1/locks/${job}-raw/extend`, {
      json: { token: `${serverToken}x` },
      headers: as(WORKER),
    });
    const seen = [
      (await rest(s.url, 'GET', '/v1/locks', { headers: as(READER) })).text,
      (await rest(s.url, 'GET', `/v1/locks/${job}`, { headers: as(READER) })).text,
      (await rest(s.url, 'GET', `/v1/locks/${job}-raw`, { headers: as(READER) })).text,
      (await rest(s.url, 'GET', '/metrics', { headers: as(READER) })).text,
      s.logs.join('\n'),
    ].join('\n');
    expect(s.logs.length).toBeGreaterThan(5);
    for (const secret of [lease.token, serverToken, WORKER, READER]) expect(seen).not.toContain(secret);
    expect(seen).toContain(job);
    await lease.release();
    await b.close();
  });
});

describe('auth off', () => {
  it('serves loopback Host names only (DNS rebinding guard)', async () => {
    const port = Number(new URL(open.url).port);
    // fetch will not send a Host header of our choosing; node:http will.
    const withHost = (host: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path: '/v1/locks', headers: { host } }, (res) => {
          let body = '';
          res.on('data', (c: Buffer) => {
            body += c.toString();
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('error', reject);
        req.end();
      });
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, 'app.localhost']) {
      expect((await withHost(host)).status, host).toBe(200);
    }
    for (const host of [`evil.example:${port}`, '10.0.0.1', `127.0.0.1.evil.example:${port}`]) {
      const r = await withHost(host);
      expect(r.status, host).toBe(403);
      expect(JSON.parse(r.body)).toMatchObject({ code: 'forbidden' });
    }
  });
});

describe('tokens file', () => {
  it('refuses malformed files with a message naming the problem', () => {
    const bad: Array<[string, RegExp]> = [
      ['not json', /not valid JSON/],
      ['{"tokens": []}', /tokens/],
      [JSON.stringify({ tokens: [{ name: 'a', token: 'short', rights: ['read'] }] }), /tokens\.0\.token/],
      [JSON.stringify({ tokens: [{ name: 'a', token: WORKER, rights: ['admin'] }] }), /rights/],
      [
        JSON.stringify({ tokens: [{ name: 'a', token: WORKER, rights: ['read'], extra: 1 }] }),
        /extra|Unrecognized/,
      ],
      [JSON.stringify({ tokens: [{ name: 'a', token: WORKER, rights: ['read'], locks: ['a b'] }] }), /locks/],
      [
        JSON.stringify({
          tokens: [
            { name: 'a', token: WORKER, rights: ['read'] },
            { name: 'a', token: READER, rights: ['read'] },
          ],
        }),
        /twice/,
      ],
      [
        JSON.stringify({
          tokens: [
            { name: 'a', token: WORKER, rights: ['read'] },
            { name: 'b', token: WORKER, rights: ['read'] },
          ],
        }),
        /twice/,
      ],
    ];
    for (const [text, message] of bad) expect(() => parseTokenFile(text), text).toThrow(message);
  });
});
