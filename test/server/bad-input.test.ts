/**
 * Bad input on the wire: every malformed request gets its documented 4xx problem+json (never a
 * 500, never a stack trace), and afterwards the server is healthy and nothing has changed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueName } from '../conformance/harness.js';
import { expectProblem, type RestInit, rest } from './support/rest.js';
import { startTestServer, type TestServer } from './support/server.js';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer('memory://server-bad-input', { logLevel: 'info' });
});
afterAll(() => s.stop());

type Case = [method: string, path: string, init: RestInit, status: number, code: string];

describe('bad input over REST', () => {
  it('each malformed request gets the documented 4xx; afterwards the server is healthy and the state unchanged', async () => {
    const d = uniqueName('dict');
    const lock = uniqueName('lock');
    const k = `/v1/dicts/${d}/keys/k`;
    await rest(s.url, 'PUT', k, { json: { v: 1 } });
    const held = await rest(s.url, 'POST', `/v1/locks/${lock}/acquire`, { json: { ttlMs: 60_000 } });
    const state = async () => ({
      page: (await rest(s.url, 'GET', `/v1/dicts/${d}`)).json,
      lock: (await rest(s.url, 'GET', `/v1/locks/${lock}`)).json,
      dicts: (await rest(s.url, 'GET', `/v1/dicts?prefix=${d}`)).json,
    });
    const before = await state();
    const json = (body: unknown, headers: Record<string, string> = {}): RestInit => ({ json: body, headers });
    const raw = (body: string, type = 'application/json'): RestInit => ({
      body,
      headers: { 'content-type': type },
    });
    const acquire = `/v1/locks/${lock}/acquire`;
    const fence = (h: Record<string, string>): RestInit => ({ json: 2, headers: h });
    const cases: Case[] = [
      ['POST', acquire, raw('{"ttlMs": 10'), 400, 'invalid_argument'],
      ['PUT', k, raw('{bad json'), 400, 'invalid_argument'],
      ['PUT', k, raw(''), 400, 'invalid_argument'],
      [
        'PUT',
        k,
        { body: Uint8Array.from([0x22, 0xff, 0x22]), headers: { 'content-type': 'application/json' } },
        400,
        'invalid_argument',
      ],
      ['PUT', k, raw('1', 'text/plain'), 415, 'unsupported_media_type'],
      ['PUT', k, raw('1', 'application/json; charset=latin1'), 415, 'unsupported_media_type'],
      ['PUT', k, raw('1e400'), 400, 'invalid_argument'],
      ['PUT', k, raw(`${'['.repeat(600)}${']'.repeat(600)}`), 400, 'invalid_argument'],
      ['POST', acquire, json({ ttlMs: '10' }), 400, 'invalid_argument'],
      ['POST', acquire, json({ ttlMs: -1 }), 400, 'invalid_argument'],
      ['POST', acquire, json({ ttlMs: 0 }), 400, 'invalid_argument'],
      ['POST', acquire, json({ ttlMs: 1.5 }), 400, 'invalid_argument'],
      ['POST', acquire, json({ ttlMs: 2 ** 31 }), 400, 'invalid_argument'],
      ['POST', acquire, json({ ttlMs: 1e300 }), 400, 'invalid_argument'],
      ['POST', acquire, json({ waitMs: -5 }), 400, 'invalid_argument'],
      ['POST', acquire, json({ ttlMs: 1000, extra: true }), 400, 'invalid_argument'],
      ['POST', acquire, raw('{"__proto__": {"ttlMs": 1}}'), 400, 'invalid_argument'],
      ['POST', acquire, json([1, 2]), 400, 'invalid_argument'],
      ['POST', acquire, json({ owner: 'x'.repeat(201) }), 400, 'invalid_argument'],
      ['POST', `/v1/locks/${'a'.repeat(201)}/acquire`, json({}), 400, 'invalid_argument'],
      ['POST', `/v1/locks/bad%20name/acquire`, json({}), 400, 'invalid_argument'],
      ['POST', `/v1/locks/a%2Fb/acquire`, json({}), 400, 'invalid_argument'],
      ['POST', `/v1/locks/%C3%A4/acquire`, json({}), 400, 'invalid_argument'],
      ['POST', `/v1/locks/${lock}/extend`, json({ ttlMs: 10 }), 400, 'invalid_argument'],
      ['POST', `/v1/locks/${lock}/release`, json({ token: '' }), 400, 'invalid_argument'],
      ['GET', `/v1/dicts/${'d'.repeat(201)}/keys/k`, {}, 400, 'invalid_argument'],
      ['PUT', `/v1/dicts/${d}/keys/a%00b`, json(1), 400, 'invalid_argument'],
      ['PUT', `/v1/dicts/${d}/keys/${'k'.repeat(1025)}`, json(1), 400, 'invalid_argument'],
      ['PUT', `/v1/dicts/${d}/keys/${'%C3%A9'.repeat(513)}`, json(1), 400, 'invalid_argument'],
      ['PUT', `/v1/dicts/${d}/keys/%E0%A4%A`, json(1), 400, 'invalid_argument'],
      ['PUT', `/v1/dicts/${d}/keys/%ED%A0%80`, json(1), 400, 'invalid_argument'],
      [
        'PUT',
        k,
        { body: 'x'.repeat(2 * 1024 * 1024), headers: { 'content-type': 'application/json' } },
        413,
        'payload_too_large',
      ],
      ['PUT', `${k}?ttlMs=0`, json(1), 400, 'invalid_argument'],
      ['PUT', `${k}?ttlMs=abc`, json(1), 400, 'invalid_argument'],
      ['PUT', `${k}?ttlMs=1&ttlMs=2`, json(1), 400, 'invalid_argument'],
      ['PUT', `${k}?unknown=1`, json(1), 400, 'invalid_argument'],
      ['PUT', k, json(2, { 'if-match': 'W/"1"' }), 400, 'invalid_argument'],
      ['PUT', k, json(2, { 'if-match': '1' }), 400, 'invalid_argument'],
      ['PUT', k, json(2, { 'if-match': '"abc"' }), 400, 'invalid_argument'],
      ['PUT', k, json(2, { 'if-match': '*' }), 400, 'invalid_argument'],
      ['PUT', k, json(2, { 'if-match': '"1", "2"' }), 400, 'invalid_argument'],
      ['PUT', k, json(2, { 'if-none-match': '"1"' }), 400, 'invalid_argument'],
      ['PUT', k, json(2, { 'if-match': '"1"', 'if-none-match': '*' }), 400, 'invalid_argument'],
      ['DELETE', k, { headers: { 'if-match': 'nope' } }, 400, 'invalid_argument'],
      ['PUT', k, fence({ 'baton-fence-lock': lock }), 400, 'invalid_argument'],
      ['PUT', k, fence({ 'baton-fence': '1' }), 400, 'invalid_argument'],
      ['PUT', k, fence({ 'baton-fence-lock': lock, 'baton-fence': '0' }), 400, 'invalid_argument'],
      ['PUT', k, fence({ 'baton-fence-lock': lock, 'baton-fence': '1.5' }), 400, 'invalid_argument'],
      ['PUT', k, fence({ 'baton-fence-lock': 'bad lock', 'baton-fence': '1' }), 400, 'invalid_argument'],
      ['PUT', k, fence({ 'baton-lock-token': 'abc' }), 400, 'invalid_argument'],
      ['POST', `${k}/incr`, json({ by: 'one' }), 400, 'invalid_argument'],
      ['POST', `${k}/incr`, json({ by: 1, extra: 1 }), 400, 'invalid_argument'],
      ['POST', `/v1/dicts/${d}/batch`, json({ ops: [] }), 400, 'invalid_argument'],
      [
        'POST',
        `/v1/dicts/${d}/batch`,
        json({ ops: Array.from({ length: 101 }, (_, i) => ({ op: 'delete', key: `k${i}` })) }),
        400,
        'invalid_argument',
      ],
      [
        'POST',
        `/v1/dicts/${d}/batch`,
        json({
          ops: [
            { op: 'set', key: 'k', value: 1 },
            { op: 'delete', key: 'k' },
          ],
        }),
        400,
        'invalid_argument',
      ],
      [
        'POST',
        `/v1/dicts/${d}/batch`,
        json({ ops: [{ op: 'upsert', key: 'k', value: 1 }] }),
        400,
        'invalid_argument',
      ],
      ['POST', `/v1/dicts/${d}/batch`, json({ ops: [{ op: 'set', key: 'k' }] }), 400, 'invalid_argument'],
      ['GET', `/v1/dicts/${d}?limit=0`, {}, 400, 'invalid_argument'],
      ['GET', `/v1/dicts/${d}?limit=10001`, {}, 400, 'invalid_argument'],
      ['GET', `/v1/dicts/${d}?cursor=not-a-cursor`, {}, 400, 'invalid_argument'],
      ['GET', `/v1/dicts/${d}/watch?fromVersion=-1`, {}, 400, 'invalid_argument'],
      ['GET', `/v1/dicts/${d}/watch`, { headers: { 'last-event-id': 'abc' } }, 400, 'invalid_argument'],
      ['POST', `${k}/pop`, raw('{}'), 400, 'invalid_argument'],
      ['PATCH', k, json(1), 405, 'method_not_allowed'],
      ['POST', k, json(1), 405, 'method_not_allowed'],
      ['GET', acquire, {}, 405, 'method_not_allowed'],
      ['DELETE', '/v1/locks', {}, 405, 'method_not_allowed'],
      ['GET', '/v1/nothing-here', {}, 404, 'not_found'],
      ['GET', `/v1/dicts/${d}/keys/`, {}, 404, 'not_found'],
    ];
    for (const [method, path, init, status, code] of cases) {
      const r = await rest(s.url, method, path, init);
      expect.soft(r.status, `${method} ${path.slice(0, 80)}: ${r.text.slice(0, 300)}`).toBe(status);
      if (r.status === status) expectProblem(r, status, code);
    }
    const allow = await rest(s.url, 'PATCH', k);
    expect(allow.headers.get('allow')).toBe('GET, HEAD, PUT, DELETE');

    expect((await rest(s.url, 'GET', '/healthz')).json).toEqual({ ok: true });
    expect((await rest(s.url, 'GET', '/readyz')).json).toEqual({ ok: true });
    expect(await state()).toEqual(before);
    expect(
      (await rest(s.url, 'POST', `/v1/locks/${lock}/release`, { json: { token: held.json.token } })).json,
    ).toEqual({ released: true });
    const errors = s.logs
      .map((l) => JSON.parse(l) as { level: number; msg: string })
      .filter((l) => l.level >= 50);
    expect(errors).toEqual([]);
  });
});
