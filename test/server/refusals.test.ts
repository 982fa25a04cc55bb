/**
 * Refusals knowable from a request's head (401, 403, 404, 405, 413 by Content-Length) are
 * answered without reading the body, with `Connection: close`, so a client cannot make the
 * server hold or drain a large or never-ending body it has already refused. Bodies over the
 * limit are cut off while streaming. Every case sends a head and part of a body that never
 * ends: the answer arriving at all is the proof that the body was not waited for.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTokenFile } from '../../src/server/index.js';
import { uniqueName } from '../conformance/harness.js';
import { openRaw } from './support/raw.js';
import { rest } from './support/rest.js';
import { startTestServer, type TestServer } from './support/server.js';

const WORKER = 'workers-secret-0123456789';
const FILE = JSON.stringify({
  tokens: [
    { name: 'workers', token: WORKER, rights: ['read', 'write', 'lock'], locks: ['jobs-*'], dicts: ['jobs'] },
  ],
});
const LIMIT = 64 * 1024;

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer('memory://server-refusals', {
    auth: { mode: 'tokens', tokens: parseTokenFile(FILE) },
    limits: { maxBodyBytes: LIMIT },
    logLevel: 'warn',
  });
});
afterAll(() => s.stop());

/** sendUnfinished writes a request head announcing `length` bytes (or chunked), and 1 KiB of body. */
async function sendUnfinished(
  method: string,
  path: string,
  headers: Record<string, string>,
  length?: number,
) {
  const c = await openRaw(s.url);
  const framing = length === undefined ? 'Transfer-Encoding: chunked' : `Content-Length: ${length}`;
  const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`);
  c.socket.write(
    `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n${extra.join('')}${framing}\r\n\r\n`,
  );
  const part = `"${'x'.repeat(1022)}`;
  c.socket.write(length === undefined ? `${part.length.toString(16)}\r\n${part}\r\n` : part);
  return c;
}

describe('refusals from the head', () => {
  it('401, 403, 404, 405 and 413 answer a body that never ends, then close the connection', {
    timeout: 30_000,
  }, async () => {
    const auth = { authorization: `Bearer ${WORKER}` };
    const cases = [
      { method: 'PUT', path: '/v1/dicts/jobs/keys/k', headers: {}, length: 1024 * 1024, status: 401 },
      { method: 'PUT', path: '/v1/dicts/jobs/keys/k', headers: {}, length: undefined, status: 401 },
      { method: 'PUT', path: '/v1/dicts/other/keys/k', headers: auth, length: 1024 * 1024, status: 403 },
      { method: 'PUT', path: '/v1/nothing/here', headers: auth, length: 1024 * 1024, status: 404 },
      { method: 'PUT', path: '/v1/dicts/jobs/info', headers: auth, length: 1024 * 1024, status: 405 },
      { method: 'PUT', path: '/v1/dicts/jobs/keys/k', headers: auth, length: LIMIT + 1, status: 413 },
    ];
    for (const c of cases) {
      const conn = await sendUnfinished(c.method, c.path, c.headers, c.length);
      const reply = await conn.reply;
      expect({ ...c, got: reply.status, connection: reply.headers.connection }).toMatchObject({
        got: c.status,
        connection: 'close',
      });
      await conn.closed;
    }
  });

  it('a chunked body is cut at the limit with 413 while it is still being sent', {
    timeout: 30_000,
  }, async () => {
    const conn = await sendUnfinished('PUT', '/v1/dicts/jobs/keys/big', {
      authorization: `Bearer ${WORKER}`,
    });
    const chunk = 'y'.repeat(16 * 1024);
    let sent = 0;
    let answered = false;
    void conn.reply.then(
      () => {
        answered = true;
      },
      () => undefined,
    );
    // Keep sending until the answer arrives; it must come after about LIMIT bytes, not at the end.
    while (!answered && sent < 64 * LIMIT) {
      const ok = conn.socket.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`);
      sent += chunk.length;
      if (!ok)
        await Promise.race([new Promise((r) => conn.socket.once('drain', r)), conn.reply.catch(() => 0)]);
      await new Promise((r) => setImmediate(r));
    }
    const reply = await conn.reply;
    expect(reply.status).toBe(413);
    expect(reply.headers.connection).toBe('close');
    expect(sent).toBeLessThan(64 * LIMIT);
    await conn.closed;
  });

  it('an authorized body within the limit still works, on a connection that stays open', async () => {
    const key = uniqueName('k');
    const auth = { authorization: `Bearer ${WORKER}` };
    const put = await rest(s.url, 'PUT', `/v1/dicts/jobs/keys/${key}`, {
      json: { v: 'x'.repeat(1000) },
      headers: auth,
    });
    expect(put.status).toBe(200);
    expect(put.headers.get('connection')).not.toBe('close');
    const got = await rest(s.url, 'GET', `/v1/dicts/jobs/keys/${key}`, { headers: auth });
    expect(got.json).toEqual({ v: 'x'.repeat(1000) });
  });
});
