/**
 * Operations: Prometheus metrics (request durations by route template, lock waits, locks held,
 * dict operations), per-token rate limiting (429 with Retry-After), request ids, and /readyz.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RateLimiter } from '../../src/server/rate-limit.js';
import { uniqueName } from '../conformance/harness.js';
import { expectProblem, rest } from './support/rest.js';
import { startTestServer, type TestServer } from './support/server.js';

let s: TestServer;
let limited: TestServer;
beforeAll(async () => {
  [s, limited] = await Promise.all([
    startTestServer('memory://server-ops', { logLevel: 'warn' }),
    startTestServer('memory://server-ops-limited', {
      rateLimit: { perSecond: 2, burst: 3 },
      logLevel: 'warn',
    }),
  ]);
});
afterAll(() => Promise.all([s.stop(), limited.stop()]));

describe('metrics', () => {
  it('exports request durations, lock waits, locks held and dict operations', async () => {
    const lock = uniqueName('lock');
    const d = uniqueName('dict');
    await rest(s.url, 'POST', `/v1/locks/${lock}/acquire`, { json: { ttlMs: 10_000 } });
    await rest(s.url, 'POST', `/v1/locks/${lock}/acquire`, { json: { waitMs: 20 } });
    await rest(s.url, 'POST', `/v1/semaphores/${lock}/acquire`, { json: { permits: 2 } });
    await rest(s.url, 'POST', `/v1/rwlocks/${lock}/acquire`, { json: { mode: 'read' } });
    await rest(s.url, 'PUT', `/v1/dicts/${d}/keys/k`, { json: 1 });
    await rest(s.url, 'POST', `/v1/dicts/${d}/keys/k/incr`, { json: { by: 1 } });
    await rest(s.url, 'PUT', `/v1/dicts/${d}/keys/k`, { json: 1, headers: { 'if-match': '"99"' } });
    const m = await rest(s.url, 'GET', '/metrics');
    expect(m.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(m.text).toMatch(
      /baton_http_request_duration_seconds_count\{method="PUT",route="\/v1\/dicts\/:dict\/keys\/:key",status="200"\} 1/,
    );
    expect(m.text).toMatch(
      /baton_http_request_duration_seconds_count\{method="PUT",route="\/v1\/dicts\/:dict\/keys\/:key",status="412"\} 1/,
    );
    expect(m.text).toMatch(/baton_lock_wait_seconds_count\{kind="lock",outcome="granted"\} 1/);
    expect(m.text).toMatch(/baton_lock_wait_seconds_count\{kind="lock",outcome="timeout"\} 1/);
    expect(m.text).toMatch(/baton_lock_wait_seconds_count\{kind="semaphore",outcome="granted"\} 1/);
    expect(m.text).toMatch(/baton_lock_wait_seconds_count\{kind="rwlock",outcome="granted"\} 1/);
    expect(m.text).toMatch(/baton_locks_held [1-9]/);
    expect(m.text).toMatch(/baton_dict_operations_total\{op="set",outcome="ok"\} 1/);
    expect(m.text).toMatch(/baton_dict_operations_total\{op="set",outcome="version_conflict"\} 1/);
    expect(m.text).toMatch(/baton_dict_operations_total\{op="incr",outcome="ok"\} 1/);
    expect(m.text).not.toContain(d);
    expect(m.text).not.toContain(lock);
  });

  it('echoes a plain X-Request-Id and puts the id in problem bodies', async () => {
    const r = await rest(s.url, 'GET', '/v1/nowhere', { headers: { 'x-request-id': 'trace-123' } });
    expect(r.headers.get('x-request-id')).toBe('trace-123');
    expect(r.json.requestId).toBe('trace-123');
    const odd = await rest(s.url, 'GET', '/healthz', {
      headers: { 'x-request-id': 'has spaces and ünïcode' },
    });
    expect(odd.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('rate limiting', () => {
  it('answers 429 rate_limited with Retry-After past the burst; health checks are exempt', async () => {
    const statuses: number[] = [];
    let last: Awaited<ReturnType<typeof rest>> | undefined;
    for (let i = 0; i < 6; i++) {
      last = await rest(limited.url, 'GET', '/v1/locks');
      statuses.push(last.status);
    }
    expect(statuses.slice(0, 3)).toEqual([200, 200, 200]);
    expect(statuses).toContain(429);
    const r = await rest(limited.url, 'GET', '/v1/locks');
    expectProblem(r, 429, 'rate_limited');
    expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    for (let i = 0; i < 5; i++) expect((await rest(limited.url, 'GET', '/healthz')).status).toBe(200);
  });

  it('the token bucket refills at its rate and keeps callers apart', () => {
    const rl = new RateLimiter({ perSecond: 10, burst: 2 });
    expect([rl.take('a', 0), rl.take('a', 0), rl.take('a', 0)]).toEqual([0, 0, 1]);
    expect(rl.take('b', 0)).toBe(0);
    expect(rl.take('a', 50)).toBe(1);
    expect(rl.take('a', 110)).toBe(0);
    expect(() => new RateLimiter({ perSecond: 0, burst: 1 })).toThrow();
  });
});
