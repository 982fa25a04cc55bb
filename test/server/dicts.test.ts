/**
 * The dict endpoints on the wire: values as bodies, versions as ETags, If-Match and
 * If-None-Match: *, the fenced-write headers, incr, batch, paging, clear, set-if-absent and pop.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueName } from '../conformance/harness.js';
import { waitUntil } from '../support/wait.js';
import { expectProblem, rest } from './support/rest.js';
import { startTestServer, type TestServer } from './support/server.js';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer('memory://server-dicts', { logLevel: 'warn' });
});
afterAll(() => s.stop());

const key = (d: string, k: string) => `/v1/dicts/${d}/keys/${encodeURIComponent(k)}`;

describe('dicts over REST', () => {
  it('PUT stores the body, GET returns it with its version as ETag, DELETE removes it', async () => {
    const d = uniqueName('dict');
    const put = await rest(s.url, 'PUT', key(d, 'a/b c'), { json: { n: 1, list: [true, null] } });
    expect(put.status).toBe(200);
    expect(put.json).toEqual({ version: 1 });
    expect(put.headers.get('etag')).toBe('"1"');
    const get = await rest(s.url, 'GET', key(d, 'a/b c'));
    expect(get.status).toBe(200);
    expect(get.headers.get('etag')).toBe('"1"');
    expect(get.headers.get('content-type')).toMatch(/^application\/json/);
    expect(get.data).toEqual({ n: 1, list: [true, null] });
    for (const v of [5, 'text', null, false, [1, 2]]) {
      await rest(s.url, 'PUT', key(d, 'scalar'), { json: v });
      expect((await rest(s.url, 'GET', key(d, 'scalar'))).data).toEqual(v);
    }
    expect((await rest(s.url, 'DELETE', key(d, 'a/b c'))).status).toBe(204);
    expectProblem(await rest(s.url, 'GET', key(d, 'a/b c')), 404, 'not_found');
    expectProblem(await rest(s.url, 'DELETE', key(d, 'a/b c')), 404, 'not_found');
  });

  it('If-None-Match: * creates (201) only when absent; If-Match writes only at that version (else 412)', async () => {
    const d = uniqueName('dict');
    const created = await rest(s.url, 'PUT', key(d, 'k'), { json: 1, headers: { 'if-none-match': '*' } });
    expect(created.status).toBe(201);
    expectProblem(
      await rest(s.url, 'PUT', key(d, 'k'), { json: 2, headers: { 'if-none-match': '*' } }),
      412,
      'version_conflict',
    );
    const stale = await rest(s.url, 'PUT', key(d, 'k'), { json: 3, headers: { 'if-match': '"7"' } });
    expectProblem(stale, 412, 'version_conflict');
    expect(stale.json).toMatchObject({ key: 'k', expected: 7, actual: 1 });
    const ok = await rest(s.url, 'PUT', key(d, 'k'), { json: 4, headers: { 'if-match': '"1"' } });
    expect(ok.status).toBe(200);
    expectProblem(
      await rest(s.url, 'DELETE', key(d, 'k'), { headers: { 'if-match': '"1"' } }),
      412,
      'version_conflict',
    );
    expect(
      (await rest(s.url, 'DELETE', key(d, 'k'), { headers: { 'if-match': ok.headers.get('etag')! } })).status,
    ).toBe(204);
  });

  it('?ttlMs= expires an entry and GET shows Baton-Expires-At', async () => {
    const d = uniqueName('dict');
    // the header is read under a TTL no stall can outlast; a 200 ms one raced a busy CPU
    await rest(s.url, 'PUT', `${key(d, 'kept')}?ttlMs=600000`, { json: 'later' });
    const get = await rest(s.url, 'GET', key(d, 'kept'));
    expect(Number(get.headers.get('baton-expires-at'))).toBeGreaterThan(Date.now() + 500_000);
    await rest(s.url, 'PUT', `${key(d, 'k')}?ttlMs=200`, { json: 'soon' });
    await waitUntil(async () => (await rest(s.url, 'GET', key(d, 'k'))).status === 404, 'the entry expiring');
    expectProblem(await rest(s.url, 'GET', key(d, 'k')), 404, 'not_found');
  });

  it('fenced writes: a stale fence is 409 stale_fence; the ownership guard refuses a released token', async () => {
    const d = uniqueName('dict');
    const lock = uniqueName('lock');
    const first = await rest(s.url, 'POST', `/v1/locks/${lock}/acquire`, { json: { ttlMs: 10_000 } });
    await rest(s.url, 'POST', `/v1/locks/${lock}/release`, { json: { token: first.json.token } });
    const second = await rest(s.url, 'POST', `/v1/locks/${lock}/acquire`, { json: { ttlMs: 10_000 } });
    const fence = (g: typeof first) => ({ 'baton-fence-lock': lock, 'baton-fence': String(g.json.fence) });
    expect((await rest(s.url, 'PUT', key(d, 'k'), { json: 'new', headers: fence(second) })).status).toBe(200);
    const stale = await rest(s.url, 'PUT', key(d, 'k'), { json: 'old', headers: fence(first) });
    expectProblem(stale, 409, 'stale_fence');
    expect(stale.json).toMatchObject({ lock, fence: 1, reason: 'newer_fence' });
    expectProblem(
      await rest(s.url, 'POST', `${key(d, 'n')}/incr`, { json: { by: 1 }, headers: fence(first) }),
      409,
      'stale_fence',
    );
    expectProblem(await rest(s.url, 'DELETE', key(d, 'k'), { headers: fence(first) }), 409, 'stale_fence');

    const guarded = { ...fence(second), 'baton-lock-token': String(second.json.token) };
    expect((await rest(s.url, 'PUT', key(d, 'k'), { json: 'mine', headers: guarded })).status).toBe(200);
    await rest(s.url, 'POST', `/v1/locks/${lock}/release`, { json: { token: second.json.token } });
    const gone = await rest(s.url, 'PUT', key(d, 'k'), { json: 'late', headers: guarded });
    expectProblem(gone, 409, 'stale_fence');
    expect(gone.json.reason).toBe('not_holder');
    expect((await rest(s.url, 'GET', key(d, 'k'))).data).toBe('mine');
  });

  it('incr, set-if-absent and pop', async () => {
    const d = uniqueName('dict');
    expect((await rest(s.url, 'POST', `${key(d, 'n')}/incr`)).json).toEqual({ value: 1, version: 1 });
    expect((await rest(s.url, 'POST', `${key(d, 'n')}/incr`, { json: { by: 2.5 } })).json).toEqual({
      value: 3.5,
      version: 2,
    });
    await rest(s.url, 'PUT', key(d, 's'), { json: 'text' });
    expectProblem(
      await rest(s.url, 'POST', `${key(d, 's')}/incr`, { json: { by: 1 } }),
      409,
      'type_mismatch',
    );
    expect(
      (await rest(s.url, 'POST', `${key(d, 'x')}/set-if-absent`, { json: { value: { a: 1 } } })).json,
    ).toEqual({ value: { a: 1 } });
    expect((await rest(s.url, 'POST', `${key(d, 'x')}/set-if-absent`, { json: { value: 2 } })).json).toEqual({
      value: { a: 1 },
    });
    expect((await rest(s.url, 'POST', `${key(d, 'x')}/pop`)).json).toEqual({ value: { a: 1 } });
    expectProblem(await rest(s.url, 'POST', `${key(d, 'x')}/pop`), 404, 'not_found');
  });

  it('batch applies all or nothing; list pages with a cursor; info; clear', async () => {
    const d = uniqueName('dict');
    const b = await rest(s.url, 'POST', `/v1/dicts/${d}/batch`, {
      json: {
        ops: [
          { op: 'set', key: 'a', value: 1 },
          { op: 'set', key: 'b', value: 2 },
          { op: 'set', key: 'c', value: 3, ttlMs: 60_000 },
        ],
      },
    });
    expect(b.json).toEqual({ version: 1 });
    const failed = await rest(s.url, 'POST', `/v1/dicts/${d}/batch`, {
      json: {
        ops: [
          { op: 'delete', key: 'a' },
          { op: 'set', key: 'b', value: 9, ifVersion: 0 },
        ],
      },
    });
    expectProblem(failed, 412, 'version_conflict');
    const page1 = await rest(s.url, 'GET', `/v1/dicts/${d}?limit=2`);
    expect(page1.json).toEqual({
      entries: [
        { key: 'a', value: 1, version: 1 },
        { key: 'b', value: 2, version: 1 },
      ],
      cursor: expect.any(String),
      version: 1,
      history: expect.any(String),
    });
    const page2 = await rest(
      s.url,
      'GET',
      `/v1/dicts/${d}?limit=2&cursor=${encodeURIComponent(String(page1.json.cursor))}`,
    );
    expect(page2.json).toEqual({
      entries: [{ key: 'c', value: 3, version: 1 }],
      version: 1,
      history: page1.json.history,
    });
    expect((await rest(s.url, 'GET', `/v1/dicts/${d}?prefix=b`)).json.entries).toEqual([
      { key: 'b', value: 2, version: 1 },
    ]);
    expect((await rest(s.url, 'GET', `/v1/dicts/${d}/info`)).json).toEqual({ name: d, size: 3, version: 1 });
    expect((await rest(s.url, 'GET', `/v1/dicts?prefix=${d}`)).json).toEqual({
      dicts: [{ name: d, size: 3 }],
    });
    expect((await rest(s.url, 'DELETE', `/v1/dicts/${d}`)).status).toBe(204);
    expect((await rest(s.url, 'GET', `/v1/dicts/${d}/info`)).json).toEqual({ name: d, size: 0, version: 2 });
  });
});
