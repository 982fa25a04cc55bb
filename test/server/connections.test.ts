/**
 * Connection limits of `startServer`: a client that never finishes its head is cut at the headers
 * timeout; the request timeout does not cut an SSE watch stream or a long-poll acquire whose
 * request has arrived; connections over the total or per-address cap are closed unanswered.
 * Waits are on socket events: a probe connection cut by the timeout proves the deadline check
 * has run past the long requests' deadlines too.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, type RunningServer, startServer } from '../../src/server/index.js';
import { uniqueName } from '../conformance/harness.js';
import { openRaw, type RawConnection } from './support/raw.js';
import { rest } from './support/rest.js';

const quiet = () =>
  createLogger({ level: 'silent', destination: new Writable({ write: (_c, _e, d) => d() }) });
const TIMEOUT = 1_000;

let s: RunningServer;
beforeAll(async () => {
  s = await startServer({
    backend: 'memory://server-connections',
    port: 0,
    logger: quiet(),
    shutdownMs: 1_000,
    connections: { headersTimeoutMs: TIMEOUT, requestTimeoutMs: TIMEOUT, keepAliveTimeoutMs: 60_000 },
  });
});
afterAll(() => s.close());

/** slowHead opens a connection that sends part of a request head and then nothing. */
async function slowHead(url: string): Promise<RawConnection> {
  const c = await openRaw(url);
  c.socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n');
  return c;
}

describe('connection limits', () => {
  it('cuts a client that never finishes its head at the headers timeout', { timeout: 60_000 }, async () => {
    const c = await slowHead(s.url);
    const started = performance.now();
    await c.closed;
    expect(c.received()).toMatch(/^HTTP\/1\.1 408/);
    expect(performance.now() - started).toBeGreaterThanOrEqual(TIMEOUT - 50);
  });

  it('does not cut a watch stream or a long-poll acquire once their requests have arrived', {
    timeout: 60_000,
  }, async () => {
    const dict = uniqueName('d');
    const lock = uniqueName('l');
    const watch = await fetch(`${s.url}/v1/dicts/${dict}/watch`);
    expect(watch.status).toBe(200);
    const reader = watch.body!.getReader();
    const held = await rest(s.url, 'POST', `/v1/locks/${lock}/acquire`, { json: { ttlMs: 60_000 } });
    expect(held.status).toBe(200);
    const waiting = rest(s.url, 'POST', `/v1/locks/${lock}/acquire`, {
      json: { ttlMs: 60_000, waitMs: 30_000 },
    });
    // The probe opens after both requests arrived; once it is cut, their deadlines have passed too.
    const probe = await slowHead(s.url);
    await probe.closed;
    expect(probe.received()).toMatch(/^HTTP\/1\.1 408/);
    await rest(s.url, 'PUT', `/v1/dicts/${dict}/keys/k`, { json: 1 });
    let text = '';
    while (!text.includes('"k"')) {
      const { value, done } = await reader.read();
      expect(done).toBe(false);
      text += new TextDecoder().decode(value);
    }
    await rest(s.url, 'POST', `/v1/locks/${lock}/release`, { json: { token: held.json.token } });
    expect((await waiting).status).toBe(200);
    await reader.cancel();
  });

  it('closes connections over the total cap unanswered, and serves again below it', {
    timeout: 60_000,
  }, async () => {
    const capped = await startServer({
      backend: 'memory://server-connections-cap',
      port: 0,
      logger: quiet(),
      shutdownMs: 1_000,
      connections: { maxConnections: 2 },
    });
    try {
      await expectCap(capped.url, 2);
    } finally {
      await capped.close();
    }
  });

  it('closes connections over the per-address cap unanswered', { timeout: 60_000 }, async () => {
    const capped = await startServer({
      backend: 'memory://server-connections-per-address',
      port: 0,
      logger: quiet(),
      shutdownMs: 1_000,
      connections: { maxConnectionsPerAddress: 3 },
    });
    try {
      await expectCap(capped.url, 3);
    } finally {
      await capped.close();
    }
  });
});

/** expectCap opens `cap` served connections, sees one more refused, closes one, and is served again. */
async function expectCap(url: string, cap: number): Promise<void> {
  const ask = async (c: RawConnection) => {
    c.socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    return (await c.reply).status;
  };
  const served: RawConnection[] = [];
  for (let i = 0; i < cap; i++) {
    const c = await openRaw(url);
    expect(await ask(c)).toBe(200);
    served.push(c);
  }
  const extra = await openRaw(url);
  extra.socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
  await extra.closed;
  expect(extra.received()).toBe('');
  served[0]!.socket.destroy();
  await served[0]!.closed;
  // The server sees the close a moment after the client; ask until it has (each refusal is an event).
  for (;;) {
    const again = await openRaw(url);
    again.socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    const answered = await again.reply.then(
      (r) => r.status,
      () => undefined,
    );
    if (answered !== undefined) {
      expect(answered).toBe(200);
      again.socket.destroy();
      break;
    }
  }
  for (const c of served) c.socket.destroy();
}
