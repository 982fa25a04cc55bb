/**
 * A REST extend without `ttlMs` keeps the TTL of the lease's grant or last extension, as the
 * library's `lease.extend()` does — not the 30 s default — for locks, semaphores and read-write
 * locks, on memory-, Redis- and etcd-backed servers.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { uniqueName } from '../conformance/harness.js';
import { batonEtcdUrl } from '../etcd/helpers.js';
import { rest } from './support/rest.js';
import { startTestServer, type TestServer } from './support/server.js';

const backends: Record<string, () => string> = {
  memory: () => 'memory://server-extend-ttl',
  redis: () => `${inject('redisUrl')}?prefix=${uniqueName('xttl')}:`,
  etcd: () => batonEtcdUrl(inject('etcdUrl')),
};

const kinds = [
  { path: 'locks', acquire: {} },
  { path: 'semaphores', acquire: { permits: 2 } },
  { path: 'rwlocks', acquire: { mode: 'write' } },
];

describe.each(Object.keys(backends))('%s-backed server', (backend) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(backends[backend]!(), { logLevel: 'warn' });
  });
  afterAll(() => s.stop());

  it.each(kinds)('keeps the grant TTL, then the last extension TTL, on $path', async ({ path, acquire }) => {
    const base = `/v1/${path}/${uniqueName('x')}`;
    const grant = await rest(s.url, 'POST', `${base}/acquire`, { json: { ...acquire, ttlMs: 120_000 } });
    expect(grant.status).toBe(200);
    const token = grant.json.token as string;
    const kept = await rest(s.url, 'POST', `${base}/extend`, { json: { token } });
    expect(kept.status).toBe(200);
    expect(kept.json.ttlMs).toBe(120_000);
    expect(kept.json.expiresAt).toBeGreaterThan(Date.now() + 60_000);
    await rest(s.url, 'POST', `${base}/extend`, { json: { token, ttlMs: 90_000 } });
    const again = await rest(s.url, 'POST', `${base}/extend`, { json: { token } });
    expect(again.json.ttlMs).toBe(90_000);
    expect((await rest(s.url, 'POST', `${base}/release`, { json: { token } })).json.released).toBe(true);
  });
});
