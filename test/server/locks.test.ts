/**
 * The lock endpoints on the wire: acquire (long-poll capped per request), extend, release,
 * inspect and list, with the statuses and bodies REST-API.md documents.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueName } from '../conformance/harness.js';
import { expectProblem, rest } from './support/rest.js';
import { startTestServer, type TestServer } from './support/server.js';

/**
 * MAX_WAIT_MS is the server's long-poll cap here, and how long the waiters below wait: long enough
 * that a busy CPU cannot stall the test's release past it (at 400 ms a stall of that length timed the waiter out).
 */
const MAX_WAIT_MS = 3_000;
let s: TestServer;
beforeAll(async () => {
  s = await startTestServer('memory://server-locks', {
    limits: { maxWaitMs: MAX_WAIT_MS },
    logLevel: 'warn',
  });
});
afterAll(() => s.stop());

const post = (path: string, json?: unknown) => rest(s.url, 'POST', path, json === undefined ? {} : { json });

describe('locks over REST', () => {
  it('acquire answers name, token, fence, expiresAt, ttlMs and waitedMs; extend and release take the token', async () => {
    const name = uniqueName('lock');
    const before = Date.now();
    const a = await post(`/v1/locks/${name}/acquire`, { ttlMs: 10_000, owner: 'worker-7' });
    expect(a.status).toBe(200);
    expect(a.json).toEqual({
      name,
      token: expect.stringMatching(/^[0-9a-f]{32}$/),
      fence: 1,
      expiresAt: expect.any(Number),
      ttlMs: 10_000,
      waitedMs: expect.any(Number),
    });
    expect(a.json.waitedMs as number).toBeGreaterThanOrEqual(0); // granted at once: ~0
    expect(a.json.waitedMs as number).toBeLessThanOrEqual(Date.now() - before);
    expect(a.json.expiresAt as number).toBeGreaterThan(before);
    expect(a.json.expiresAt as number).toBeLessThanOrEqual(Date.now() + 10_000);

    const info = await rest(s.url, 'GET', `/v1/locks/${name}`);
    expect(info.json).toEqual({
      name,
      held: true,
      fence: 1,
      expiresAt: expect.any(Number),
      owner: 'worker-7',
    });

    const e = await post(`/v1/locks/${name}/extend`, { token: a.json.token, ttlMs: 20_000 });
    expect(e.status).toBe(200);
    expect(e.json).toEqual({ name, fence: 1, expiresAt: expect.any(Number), ttlMs: 20_000 });

    expect((await post(`/v1/locks/${name}/release`, { token: a.json.token })).json).toEqual({
      released: true,
    });
    expect((await post(`/v1/locks/${name}/release`, { token: a.json.token })).json).toEqual({
      released: false,
    });
    expectProblem(await post(`/v1/locks/${name}/extend`, { token: a.json.token }), 409, 'lock_lost');
    expect((await rest(s.url, 'GET', `/v1/locks/${name}`)).json).toEqual({ name, held: false, fence: 1 });
  });

  it('an empty body acquires with the defaults (try once, 30 s TTL)', async () => {
    const name = uniqueName('lock');
    const a = await post(`/v1/locks/${name}/acquire`);
    expect(a.json).toMatchObject({ fence: 1, ttlMs: 30_000 });
    const b = await post(`/v1/locks/${name}/acquire`);
    expectProblem(b, 409, 'lock_timeout');
    expect(b.json).toMatchObject({ lock: name, waitMs: 0 });
  });

  it('a long-poll is capped by the server and answers 409 lock_timeout; a release wakes a waiter at once', async () => {
    const name = uniqueName('lock');
    const held = await post(`/v1/locks/${name}/acquire`, { ttlMs: 60_000 });
    const started = performance.now();
    const capped = await post(`/v1/locks/${name}/acquire`, { waitMs: 60_000 });
    const waited = performance.now() - started;
    expectProblem(capped, 409, 'lock_timeout');
    expect(capped.json.waitMs).toBe(MAX_WAIT_MS);
    expect(waited).toBeGreaterThanOrEqual(MAX_WAIT_MS - 10);
    expect(waited).toBeLessThan(MAX_WAIT_MS + 5_000);

    const waiter = post(`/v1/locks/${name}/acquire`, { waitMs: MAX_WAIT_MS });
    await new Promise((r) => setTimeout(r, 50));
    await post(`/v1/locks/${name}/release`, { token: held.json.token });
    const granted = await waiter;
    expect(granted.status).toBe(200);
    expect(granted.json.fence).toBe(2);
  });

  it('a waiter that disconnects is dequeued and holds nothing; the next waiter gets the lock', async () => {
    const name = uniqueName('lock');
    const held = await post(`/v1/locks/${name}/acquire`, { ttlMs: 60_000 });
    const ac = new AbortController();
    const gone = rest(s.url, 'POST', `/v1/locks/${name}/acquire`, {
      json: { waitMs: MAX_WAIT_MS },
      signal: ac.signal,
    });
    await new Promise((r) => setTimeout(r, 50));
    ac.abort();
    await expect(gone).rejects.toThrow();
    const next = post(`/v1/locks/${name}/acquire`, { waitMs: MAX_WAIT_MS, owner: 'next' });
    await new Promise((r) => setTimeout(r, 50));
    await post(`/v1/locks/${name}/release`, { token: held.json.token });
    expect((await next).json).toMatchObject({ fence: 2 });
    expect((await rest(s.url, 'GET', `/v1/locks/${name}`)).json).toMatchObject({ held: true, owner: 'next' });
  });

  it('GET /v1/locks lists held locks by prefix, never a token', async () => {
    const prefix = `${uniqueName('list')}-`;
    const tokens: string[] = [];
    for (const n of ['a', 'b'])
      tokens.push((await post(`/v1/locks/${prefix}${n}/acquire`, { ttlMs: 10_000 })).json.token as string);
    const list = await rest(s.url, 'GET', `/v1/locks?prefix=${prefix}`);
    expect(list.json).toEqual({
      locks: [
        { name: `${prefix}a`, held: true, fence: 1, expiresAt: expect.any(Number), owner: 'http:127.0.0.1' },
        { name: `${prefix}b`, held: true, fence: 1, expiresAt: expect.any(Number), owner: 'http:127.0.0.1' },
      ],
    });
    for (const t of tokens) expect(list.text).not.toContain(t);
    expect((await rest(s.url, 'GET', `/v1/locks?prefix=${prefix}&limit=1`)).json.locks).toHaveLength(1);
  });
});
