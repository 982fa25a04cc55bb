/**
 * The semaphore and read-write lock endpoints on the wire: acquire (long-poll capped per
 * request), extend, release, inspect and list under /v1/semaphores and /v1/rwlocks, the
 * `permits` / `count` / `mode` rules, bad input answered 400 with nothing changed, no token ever
 * in an inspect or a listing, lock rights and patterns with auth on, and 501 on a backend that
 * has none (Redlock).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connect, UnsupportedError } from '../../src/index.js';
import { parseTokenFile } from '../../src/server/index.js';
import { uniqueName } from '../conformance/harness.js';
import { waitUntil } from '../support/wait.js';
import { expectProblem, rest } from './support/rest.js';
import { startTestServer, type TestServer } from './support/server.js';

/**
 * MAX_WAIT_MS is the server's long-poll cap here, and how long the waiters below wait: long enough
 * that a busy CPU cannot stall the test's release or disconnect past the waiter's own deadline.
 */
const MAX_WAIT_MS = 5_000;
let s: TestServer;
beforeAll(async () => {
  s = await startTestServer('memory://server-semaphores', {
    limits: { maxWaitMs: MAX_WAIT_MS },
    logLevel: 'warn',
  });
});
afterAll(() => s.stop());

const post = (path: string, json?: unknown) => rest(s.url, 'POST', path, json === undefined ? {} : { json });
const get = async (path: string) => (await rest(s.url, 'GET', path)).json;
/** waiting resolves once GET `path` shows `n` queued waiters (they arrive and leave asynchronously). */
const waiting = (path: string, n: number, timeoutMs?: number) =>
  waitUntil(async () => (await get(path)).waiting === n, `${n} waiting on ${path}`, { timeoutMs });
const GRANT = {
  name: expect.any(String),
  token: expect.stringMatching(/^[0-9a-f]{32}$/),
  fence: expect.any(Number),
  expiresAt: expect.any(Number),
  ttlMs: expect.any(Number),
  waitedMs: expect.any(Number),
};

describe('semaphores over REST', () => {
  it('acquire answers a grant per holder; inspect shows holders without tokens; extend and release take the token', async () => {
    const name = uniqueName('sem');
    const before = Date.now();
    const a = await post(`/v1/semaphores/${name}/acquire`, {
      permits: 3,
      count: 2,
      ttlMs: 10_000,
      owner: 'w-1',
    });
    expect(a.status, a.text).toBe(200);
    expect(a.json).toEqual({ ...GRANT, name, fence: 1, ttlMs: 10_000 });
    expect(a.json.expiresAt as number).toBeGreaterThan(before);
    expect(a.json.expiresAt as number).toBeLessThanOrEqual(Date.now() + 10_000);
    const b = await post(`/v1/semaphores/${name}/acquire`, { permits: 3, ttlMs: 10_000, owner: 'w-2' });
    expect(b.json).toMatchObject({ name, fence: 2 });

    const info = await rest(s.url, 'GET', `/v1/semaphores/${name}`);
    expect(info.json).toEqual({
      name,
      permits: 3,
      used: 3,
      fence: 2,
      holders: [
        { count: 2, fence: 1, expiresAt: expect.any(Number), owner: 'w-1' },
        { count: 1, fence: 2, expiresAt: expect.any(Number), owner: 'w-2' },
      ],
      waiting: 0,
    });
    for (const t of [a.json.token, b.json.token]) expect(info.text).not.toContain(t as string);

    const e = await post(`/v1/semaphores/${name}/extend`, { token: a.json.token, ttlMs: 20_000 });
    expect(e.status, e.text).toBe(200);
    expect(e.json).toEqual({ name, fence: 1, expiresAt: expect.any(Number), ttlMs: 20_000 });

    expect((await post(`/v1/semaphores/${name}/release`, { token: a.json.token })).json).toEqual({
      released: true,
    });
    expect((await post(`/v1/semaphores/${name}/release`, { token: a.json.token })).json).toEqual({
      released: false,
    });
    const lost = await post(`/v1/semaphores/${name}/extend`, { token: a.json.token });
    expectProblem(lost, 409, 'lock_lost');
    expect(lost.json.lock).toBe(`semaphore/${name}`);
    expect(await get(`/v1/semaphores/${name}`)).toMatchObject({ permits: 3, used: 1, fence: 2 });
    await post(`/v1/semaphores/${name}/release`, { token: b.json.token });
    expect(await get(`/v1/semaphores/${name}`)).toEqual({
      name,
      permits: 0,
      used: 0,
      fence: 2,
      holders: [],
      waiting: 0,
    });
  });

  it('permits: required while unused, taken from the semaphore in use when omitted, 400 on a mismatch; nothing changes on a refusal', async () => {
    const name = uniqueName('sem');
    const unused = await post(`/v1/semaphores/${name}/acquire`);
    expectProblem(unused, 400, 'invalid_argument');
    expect(unused.json.detail).toMatch(/not in use, so this acquire must give permits/);
    expect(await get(`/v1/semaphores/${name}`)).toMatchObject({ permits: 0, fence: 0, holders: [] });

    const first = await post(`/v1/semaphores/${name}/acquire`, { permits: 2, ttlMs: 10_000 });
    expect(first.json.fence).toBe(1);
    const snapshot = await get(`/v1/semaphores/${name}`);

    const mismatch = await post(`/v1/semaphores/${name}/acquire`, { permits: 4, waitMs: 200 });
    expectProblem(mismatch, 400, 'invalid_argument');
    expect(mismatch.json.detail).toMatch(/2 permits/);
    const tooMany = await post(`/v1/semaphores/${name}/acquire`, { permits: 2, count: 3 });
    expectProblem(tooMany, 400, 'invalid_argument');
    expect(await get(`/v1/semaphores/${name}`)).toEqual(snapshot);

    const implied = await post(`/v1/semaphores/${name}/acquire`, { ttlMs: 10_000 });
    expect(implied.status, implied.text).toBe(200);
    expect(await get(`/v1/semaphores/${name}`)).toMatchObject({ permits: 2, used: 2, fence: 2 });
    for (const r of [first, implied]) await post(`/v1/semaphores/${name}/release`, { token: r.json.token });

    // Unused again: the next first use fixes a new size.
    const resized = await post(`/v1/semaphores/${name}/acquire`, { permits: 5, count: 5 });
    expect(resized.json.fence).toBe(3);
    expect(await get(`/v1/semaphores/${name}`)).toMatchObject({ permits: 5, used: 5 });
    await post(`/v1/semaphores/${name}/release`, { token: resized.json.token });
  });

  it('a full semaphore answers 409 lock_timeout after the capped wait; a release wakes the waiter at once', async () => {
    const name = uniqueName('sem');
    const held = await post(`/v1/semaphores/${name}/acquire`, { permits: 1, ttlMs: 60_000 });
    const busy = await post(`/v1/semaphores/${name}/acquire`, { permits: 1 });
    expectProblem(busy, 409, 'lock_timeout');
    expect(busy.json).toMatchObject({ lock: `semaphore/${name}`, waitMs: 0 });

    const started = performance.now();
    const capped = await post(`/v1/semaphores/${name}/acquire`, { permits: 1, waitMs: 60_000 });
    expectProblem(capped, 409, 'lock_timeout');
    expect(capped.json.waitMs).toBe(MAX_WAIT_MS);
    expect(performance.now() - started).toBeGreaterThanOrEqual(MAX_WAIT_MS - 10);

    const waiter = post(`/v1/semaphores/${name}/acquire`, { permits: 1, waitMs: MAX_WAIT_MS, owner: 'next' });
    await waiting(`/v1/semaphores/${name}`, 1);
    await post(`/v1/semaphores/${name}/release`, { token: held.json.token });
    const granted = await waiter;
    expect(granted.status, granted.text).toBe(200);
    expect(granted.json.fence).toBe(2);
    await post(`/v1/semaphores/${name}/release`, { token: granted.json.token });
  });

  it('a waiter that disconnects leaves the queue and holds nothing', async () => {
    const name = uniqueName('sem');
    const held = await post(`/v1/semaphores/${name}/acquire`, { permits: 1, ttlMs: 60_000 });
    const ac = new AbortController();
    const gone = rest(s.url, 'POST', `/v1/semaphores/${name}/acquire`, {
      json: { permits: 1, waitMs: MAX_WAIT_MS },
      signal: ac.signal,
    });
    await waiting(`/v1/semaphores/${name}`, 1);
    ac.abort();
    await expect(gone).rejects.toThrow();
    // well before the waiter's own MAX_WAIT_MS ends, so only the disconnect can have dequeued it
    await waiting(`/v1/semaphores/${name}`, 0, MAX_WAIT_MS / 2);
    await post(`/v1/semaphores/${name}/release`, { token: held.json.token });
    expect(await get(`/v1/semaphores/${name}`)).toMatchObject({ used: 0, holders: [] });
  });

  it('GET /v1/semaphores lists semaphores with holders by prefix, never a token', async () => {
    const prefix = `${uniqueName('sl')}-`;
    const tokens: string[] = [];
    for (const n of ['a', 'b'])
      tokens.push(
        (await post(`/v1/semaphores/${prefix}${n}/acquire`, { permits: 2, ttlMs: 10_000 })).json
          .token as string,
      );
    await post(`/v1/semaphores/${prefix}c/acquire`, { permits: 2 }).then((r) =>
      post(`/v1/semaphores/${prefix}c/release`, { token: r.json.token }),
    );
    const list = await rest(s.url, 'GET', `/v1/semaphores?prefix=${prefix}`);
    expect(list.json).toEqual({
      semaphores: ['a', 'b'].map((n) => ({
        name: `${prefix}${n}`,
        permits: 2,
        used: 1,
        fence: 1,
        holders: [{ count: 1, fence: 1, expiresAt: expect.any(Number), owner: 'http:127.0.0.1' }],
        waiting: 0,
      })),
    });
    for (const t of tokens) expect(list.text).not.toContain(t);
    expect((await get(`/v1/semaphores?prefix=${prefix}&limit=1`)).semaphores).toHaveLength(1);
  });
});

describe('read-write locks over REST', () => {
  it('readers share, a writer excludes; inspect shows the mode and holders without tokens', async () => {
    const name = uniqueName('rw');
    const r1 = await post(`/v1/rwlocks/${name}/acquire`, { mode: 'read', ttlMs: 10_000, owner: 'r-1' });
    const r2 = await post(`/v1/rwlocks/${name}/acquire`, { mode: 'read', ttlMs: 10_000, owner: 'r-2' });
    expect([r1.json, r2.json]).toEqual([
      { ...GRANT, name, fence: 1, ttlMs: 10_000 },
      { ...GRANT, name, fence: 2, ttlMs: 10_000 },
    ]);
    const busy = await post(`/v1/rwlocks/${name}/acquire`, { mode: 'write' });
    expectProblem(busy, 409, 'lock_timeout');
    expect(busy.json.lock).toBe(`rwlock/${name}`);

    const info = await rest(s.url, 'GET', `/v1/rwlocks/${name}`);
    expect(info.json).toEqual({
      name,
      mode: 'read',
      readers: 2,
      fence: 2,
      holders: [
        { mode: 'read', fence: 1, expiresAt: expect.any(Number), owner: 'r-1' },
        { mode: 'read', fence: 2, expiresAt: expect.any(Number), owner: 'r-2' },
      ],
      waiting: 0,
    });
    for (const t of [r1.json.token, r2.json.token]) expect(info.text).not.toContain(t as string);

    const e = await post(`/v1/rwlocks/${name}/extend`, { token: r1.json.token, ttlMs: 20_000 });
    expect(e.json).toEqual({ name, fence: 1, expiresAt: expect.any(Number), ttlMs: 20_000 });
    for (const r of [r1, r2])
      expect((await post(`/v1/rwlocks/${name}/release`, { token: r.json.token })).json).toEqual({
        released: true,
      });

    const w = await post(`/v1/rwlocks/${name}/acquire`, { mode: 'write', ttlMs: 10_000 });
    expect(w.json.fence).toBe(3);
    expectProblem(await post(`/v1/rwlocks/${name}/acquire`, { mode: 'read' }), 409, 'lock_timeout');
    expect(await get(`/v1/rwlocks/${name}`)).toMatchObject({
      mode: 'write',
      readers: 0,
      holders: [{ mode: 'write' }],
    });
    await post(`/v1/rwlocks/${name}/release`, { token: w.json.token });
    expect(await get(`/v1/rwlocks/${name}`)).toEqual({
      name,
      mode: 'free',
      readers: 0,
      fence: 3,
      holders: [],
      waiting: 0,
    });
    const lost = await post(`/v1/rwlocks/${name}/extend`, { token: w.json.token });
    expectProblem(lost, 409, 'lock_lost');
    expect(lost.json.lock).toBe(`rwlock/${name}`);
  });

  it('a waiting writer holds back later readers and gets a fence above every reader before it', async () => {
    const name = uniqueName('rw');
    const reader = await post(`/v1/rwlocks/${name}/acquire`, { mode: 'read', ttlMs: 60_000 });
    const writer = post(`/v1/rwlocks/${name}/acquire`, {
      mode: 'write',
      waitMs: MAX_WAIT_MS,
      owner: 'writer',
    });
    await waiting(`/v1/rwlocks/${name}`, 1);
    expect(await get(`/v1/rwlocks/${name}`)).toMatchObject({ mode: 'read', waiting: 1 });
    const late = await post(`/v1/rwlocks/${name}/acquire`, { mode: 'read' });
    expectProblem(late, 409, 'lock_timeout');
    await post(`/v1/rwlocks/${name}/release`, { token: reader.json.token });
    const w = await writer;
    expect(w.status, w.text).toBe(200);
    expect(w.json.fence as number).toBeGreaterThan(reader.json.fence as number);
    await post(`/v1/rwlocks/${name}/release`, { token: w.json.token });
  });

  it('GET /v1/rwlocks lists read-write locks with holders, never a token', async () => {
    const prefix = `${uniqueName('rl')}-`;
    const r = await post(`/v1/rwlocks/${prefix}a/acquire`, { mode: 'write', ttlMs: 10_000 });
    const list = await rest(s.url, 'GET', `/v1/rwlocks?prefix=${prefix}`);
    expect(list.json).toEqual({
      rwlocks: [
        {
          name: `${prefix}a`,
          mode: 'write',
          readers: 0,
          fence: 1,
          holders: [{ mode: 'write', fence: 1, expiresAt: expect.any(Number), owner: 'http:127.0.0.1' }],
          waiting: 0,
        },
      ],
    });
    expect(list.text).not.toContain(r.json.token as string);
  });
});

describe('bad input to semaphores and read-write locks', () => {
  it('answers 400 invalid_argument and changes nothing', async () => {
    const name = uniqueName('bad');
    const held = await post(`/v1/semaphores/${name}/acquire`, { permits: 2, ttlMs: 60_000 });
    const rw = await post(`/v1/rwlocks/${name}/acquire`, { mode: 'read', ttlMs: 60_000 });
    const before = [await get(`/v1/semaphores/${name}`), await get(`/v1/rwlocks/${name}`)];
    const cases: Array<[string, unknown]> = [
      [`/v1/semaphores/${name}/acquire`, { permits: 0 }],
      [`/v1/semaphores/${name}/acquire`, { permits: 2 ** 20 + 1 }],
      [`/v1/semaphores/${name}/acquire`, { permits: 2, count: 0 }],
      [`/v1/semaphores/${name}/acquire`, { permits: 2, count: 1.5 }],
      [`/v1/semaphores/${name}/acquire`, { permits: '2' }],
      [`/v1/semaphores/${name}/acquire`, { permits: 2, ttlMs: 0 }],
      [`/v1/semaphores/${name}/acquire`, { permits: 2, waitMs: -1 }],
      [`/v1/semaphores/${name}/acquire`, { permits: 2, mode: 'read' }],
      [`/v1/semaphores/bad%20name/acquire`, { permits: 2 }],
      [`/v1/semaphores/${name}/extend`, {}],
      [`/v1/semaphores/${name}/extend`, { token: held.json.token, ttlMs: 0 }],
      [`/v1/semaphores/${name}/release`, { token: '' }],
      [`/v1/rwlocks/${name}/acquire`, {}],
      [`/v1/rwlocks/${name}/acquire`, undefined],
      [`/v1/rwlocks/${name}/acquire`, { mode: 'upgrade' }],
      [`/v1/rwlocks/${name}/acquire`, { mode: 'write', permits: 2 }],
      [`/v1/rwlocks/${name}/acquire`, { mode: 'read', count: 1 }],
      [`/v1/rwlocks/${name}/release`, { token: rw.json.token, extra: 1 }],
    ];
    for (const [path, body] of cases) {
      const r = await post(path, body);
      expectProblem(r, 400, 'invalid_argument');
    }
    expectProblem(await rest(s.url, 'GET', `/v1/semaphores?limit=0`), 400, 'invalid_argument');
    expectProblem(await rest(s.url, 'GET', `/v1/rwlocks?what=1`), 400, 'invalid_argument');
    expectProblem(await rest(s.url, 'DELETE', `/v1/semaphores/${name}`), 405, 'method_not_allowed');
    expect([await get(`/v1/semaphores/${name}`), await get(`/v1/rwlocks/${name}`)]).toEqual(before);
  });
});

describe('fuzzed acquire bodies', () => {
  it('get a grant or a 4xx problem, never a 500; the server stays consistent', {
    timeout: 60_000,
  }, async () => {
    const name = uniqueName('fuzz');
    const anything = fc.oneof(
      fc.integer({ min: -3, max: 2 ** 21 }),
      fc.constantFrom(1, 2, 3, 2 ** 20, 0.5, -0, 1e300),
      fc.string({ maxLength: 8 }),
      fc.constantFrom('read', 'write', null, true, [], {}),
    );
    const body = fc.dictionary(
      fc.constantFrom('permits', 'count', 'ttlMs', 'mode', 'owner', 'token', 'waitMs'),
      anything,
      { maxKeys: 4 },
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('semaphores', 'rwlocks'), body, async (kind, json) => {
        const b = { ...json, waitMs: 0 };
        const r = await post(`/v1/${kind}/${name}/acquire`, b);
        if (typeof r.json.token === 'string') {
          const released = await post(`/v1/${kind}/${name}/release`, { token: r.json.token });
          // A lease granted with a TTL of a few ms may expire before its release arrives; then the
          // release answers false (nothing held). Any other answer, or false for a lease that
          // cannot have expired yet, is a failure.
          const mayHaveExpired = typeof json.ttlMs === 'number' && json.ttlMs < 5_000;
          const ok =
            released.status === 200 &&
            (released.json.released === true || (mayHaveExpired && released.json.released === false));
          if (!ok) return false;
        }
        const problem = (r.headers.get('content-type') ?? '').startsWith('application/problem+json');
        return r.status === 200 || (r.status >= 400 && r.status < 500 && problem);
      }),
      { numRuns: 300 },
    );
    expect(await get(`/v1/semaphores/${name}`)).toMatchObject({ used: 0, holders: [], waiting: 0 });
    expect(await get(`/v1/rwlocks/${name}`)).toMatchObject({ mode: 'free', holders: [], waiting: 0 });
  });
});

describe('capabilities and unsupported backends', () => {
  it('GET /v1/capabilities reports the semaphores of the backend', async () => {
    expect((await get('/v1/capabilities')).semaphores).toEqual({
      fairOrdering: true,
      notifiedWaiting: true,
      minTtlMs: 1,
      listing: true,
    });
  });

  it('on Redlock, which has none: capabilities say why, and every endpoint answers 501 unsupported', async () => {
    const port = new URL(inject('redisUrl')).port;
    const redlock = await startTestServer(`redlock://127.0.0.1%3A${port}?prefix=${uniqueName('rl')}:`, {
      logLevel: 'warn',
    });
    try {
      const caps = (await rest(redlock.url, 'GET', '/v1/capabilities')).json;
      expect(caps.semaphores).toBeNull();
      expect(caps.semaphoresUnsupported).toMatch(/not offered on redlock/);
      const token = '0123456789abcdef0123456789abcdef';
      for (const [method, path, json] of [
        ['POST', '/v1/semaphores/x/acquire', { permits: 2 }],
        ['POST', '/v1/semaphores/x/extend', { token }],
        ['POST', '/v1/rwlocks/x/release', { token }],
        ['POST', '/v1/rwlocks/x/acquire', { mode: 'read' }],
        ['GET', '/v1/semaphores/x', undefined],
        ['GET', '/v1/rwlocks', undefined],
      ] as const) {
        const r = await rest(redlock.url, method, path, json === undefined ? {} : { json });
        expectProblem(r, 501, 'unsupported');
      }
      // The http backend passes the server's reason on.
      const client = await connect(redlock.url);
      try {
        expect(client.capabilities.semaphores).toBeUndefined();
        expect(() => client.rwlock('x')).toThrow(UnsupportedError);
        expect(() => client.semaphore('x')).toThrow(/has no semaphores .*not offered on redlock/);
      } finally {
        await client.close();
      }
    } finally {
      await redlock.stop();
    }
  });
});

describe('semaphores with auth on', () => {
  const WORKER = 'workers-secret-0123456789';
  const READER = 'reader-secret-0123456789';
  const as = (token: string) => ({ authorization: `Bearer ${token}` });
  let a: TestServer;
  beforeAll(async () => {
    const tokens = parseTokenFile(
      JSON.stringify({
        tokens: [
          { name: 'workers', token: WORKER, rights: ['lock', 'read'], locks: ['jobs-*'] },
          { name: 'dashboard', token: READER, rights: ['read'], locks: ['*'] },
        ],
      }),
    );
    a = await startTestServer('memory://server-semaphores-auth', {
      auth: { mode: 'tokens', tokens },
      logLevel: 'warn',
    });
  });
  afterAll(() => a.stop());

  it('uses the lock rights and name patterns: 403 outside them, listings filtered', async () => {
    const mine = uniqueName('jobs');
    const other = uniqueName('other');
    const ok = await rest(a.url, 'POST', `/v1/semaphores/${mine}/acquire`, {
      json: { permits: 2 },
      headers: as(WORKER),
    });
    expect(ok.status, ok.text).toBe(200);
    expectProblem(
      await rest(a.url, 'POST', `/v1/rwlocks/${other}/acquire`, {
        json: { mode: 'read' },
        headers: as(WORKER),
      }),
      403,
      'forbidden',
    );
    expectProblem(
      await rest(a.url, 'POST', `/v1/semaphores/${mine}/acquire`, {
        json: { permits: 2 },
        headers: as(READER),
      }),
      403,
      'forbidden',
    );
    expectProblem(await rest(a.url, 'GET', '/v1/semaphores'), 401, 'unauthorized');
    await a.baton.semaphore(other, { permits: 1 }).acquire({ ttlMs: 10_000 });
    const workers = (await rest(a.url, 'GET', '/v1/semaphores', { headers: as(WORKER) })).json;
    expect((workers.semaphores as Array<{ name: string }>).map((x) => x.name)).toEqual([mine]);
    const dashboard = (await rest(a.url, 'GET', '/v1/semaphores', { headers: as(READER) })).json;
    expect((dashboard.semaphores as Array<{ name: string }>).map((x) => x.name).sort()).toEqual(
      [mine, other].sort(),
    );
    expect((await rest(a.url, 'GET', `/v1/semaphores/${mine}`, { headers: as(READER) })).json).toMatchObject({
      used: 1,
    });
  });
});
