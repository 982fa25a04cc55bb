/**
 * Never a 500 for a client's mistake: random JSON bodies, random keys, random header values and
 * random bytes (fast-check) against a real server. Every answer is a success or a 4xx
 * problem+json, and the server stays healthy.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueName } from '../conformance/harness.js';
import { percentEncode } from '../support/percent-encode.js';
import { type RestReply, rest } from './support/rest.js';
import { startTestServer, type TestServer } from './support/server.js';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer('memory://server-fuzz', { logLevel: 'warn' });
});
afterAll(() => s.stop());

function clientSide(r: RestReply): boolean {
  if (r.status < 400) return true;
  return (
    r.status < 500 &&
    (r.headers.get('content-type') ?? '').startsWith('application/problem+json') &&
    typeof r.json.code === 'string'
  );
}

const printable = fc.string({
  unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
  maxLength: 40,
});

describe('fuzzed requests', () => {
  it('random JSON bodies to every POST endpoint get a success or a 4xx problem', {
    timeout: 60_000,
  }, async () => {
    const lock = uniqueName('lock');
    const d = uniqueName('dict');
    const paths = [
      `/v1/locks/${lock}/acquire`,
      `/v1/locks/${lock}/extend`,
      `/v1/locks/${lock}/release`,
      `/v1/dicts/${d}/keys/k/incr`,
      `/v1/dicts/${d}/keys/k/set-if-absent`,
      `/v1/dicts/${d}/batch`,
    ];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...paths), fc.jsonValue(), async (path, body) => {
        const r = await rest(s.url, 'POST', path, { json: body });
        if (typeof r.json.token === 'string') {
          await rest(s.url, 'POST', `/v1/locks/${lock}/release`, { json: { token: r.json.token } });
        }
        return clientSide(r);
      }),
      { numRuns: 300 },
    );
  });

  it('random keys and values round-trip or are refused with 400', { timeout: 60_000 }, async () => {
    const d = uniqueName('dict');
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 300 }), fc.jsonValue(), async (key, value) => {
        const path = `/v1/dicts/${d}/keys/${percentEncode(key)}`;
        const put = await rest(s.url, 'PUT', path, { json: value });
        if (!clientSide(put)) return false;
        const get = await rest(s.url, 'GET', path);
        if (put.status === 200)
          return (
            get.status === 200 &&
            JSON.stringify(get.data) === JSON.stringify(JSON.parse(JSON.stringify(value)))
          );
        return clientSide(get);
      }),
      { numRuns: 300 },
    );
  });

  it('random condition and fence header values get a success or a 4xx problem', {
    timeout: 60_000,
  }, async () => {
    const d = uniqueName('dict');
    const names = [
      'if-match',
      'if-none-match',
      'baton-fence-lock',
      'baton-fence',
      'baton-lock-token',
      'last-event-id',
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(fc.constantFrom(...names), printable),
        fc.constantFrom('PUT', 'DELETE'),
        async (headers, method) => {
          const r = await rest(
            s.url,
            method,
            `/v1/dicts/${d}/keys/k`,
            method === 'PUT' ? { json: 1, headers } : { headers },
          );
          return clientSide(r);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('random bytes as a JSON body get a success or a 4xx problem, and the server stays healthy', {
    timeout: 60_000,
  }, async () => {
    const d = uniqueName('dict');
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), async (bytes) => {
        const r = await rest(s.url, 'PUT', `/v1/dicts/${d}/keys/k`, {
          body: bytes,
          headers: { 'content-type': 'application/json' },
        });
        return clientSide(r);
      }),
      { numRuns: 300 },
    );
    expect((await rest(s.url, 'GET', '/readyz')).status).toBe(200);
  });
});
