/**
 * Operations, as a user's dashboards and log searches meet them: the request log line names the
 * problem `code`, unknown routes are counted, `promtool check metrics` accepts /metrics, and the
 * process metrics carry the standard Node.js names that stock dashboards query.
 */
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueName } from '../conformance/harness.js';
import { rest } from './support/rest.js';
import { startTestServer, type TestServer } from './support/server.js';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer('memory://server-ops-metrics');
});
afterAll(() => s.stop());

/** promtool is the path of promtool, or undefined when it is absent (then CI must fail, see below). */
function promtool(): string | undefined {
  const found = spawnSync('sh', ['-c', 'command -v promtool'], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() : undefined;
}

describe('request log', () => {
  it('carries the problem code of a 409', async () => {
    const lock = uniqueName('lock');
    await rest(s.url, 'POST', `/v1/locks/${lock}/acquire`, { json: { ttlMs: 10_000 } });
    const r = await rest(s.url, 'POST', `/v1/locks/${lock}/acquire`, {
      json: { waitMs: 0 },
      headers: { 'x-request-id': 'ops-409' },
    });
    expect(r.status).toBe(409);
    const line = s.logs.map((l) => JSON.parse(l)).find((l) => l.req?.id === 'ops-409');
    expect(line).toMatchObject({ msg: 'request completed', res: { statusCode: 409 }, code: 'lock_timeout' });
  });
});

describe('/metrics', () => {
  it('counts requests to unknown routes', async () => {
    expect((await rest(s.url, 'GET', '/v1/no-such-route')).status).toBe(404);
    const m = await rest(s.url, 'GET', '/metrics');
    expect(m.text).toMatch(
      /baton_http_request_duration_seconds_count\{method="GET",route="unmatched",status="404"\} [1-9]/,
    );
  });

  it('uses the standard Node.js process metric names', async () => {
    const m = await rest(s.url, 'GET', '/metrics');
    for (const name of [
      'process_cpu_seconds_total',
      'process_start_time_seconds',
      'nodejs_heap_size_total_bytes',
    ]) {
      expect(m.text).toMatch(new RegExp(`^${name} `, 'm'));
    }
    expect(m.text).not.toMatch(/^baton_process_|^baton_nodejs_/m);
  });

  it('passes promtool check metrics', async (ctx) => {
    const bin = promtool();
    if (!bin) {
      if (process.env.CI)
        throw new Error('promtool is missing (apt-get install prometheus); CI must run this test');
      console.warn('skipping promtool check: promtool is not installed (apt-get install prometheus)');
      ctx.skip();
      return;
    }
    await rest(s.url, 'POST', `/v1/dicts/${uniqueName('d')}/keys/k/incr`, { json: {} });
    const m = await rest(s.url, 'GET', '/metrics');
    const r = spawnSync(bin, ['check', 'metrics'], { input: m.text, encoding: 'utf8' });
    expect(`${r.stdout}${r.stderr}`.trim()).toBe('');
    expect(r.status).toBe(0);
  });
});
