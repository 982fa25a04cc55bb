/**
 * connect('http://…') reads the server's /v1/capabilities and refuses an answer that is not a baton
 * server's with BackendUnavailableError (a URL pointing at some other service). The answers come
 * from a plain HTTP server that serves a real baton server's document, edited.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BackendUnavailableError, connect, UnsupportedError } from '../../src/index.js';
import { startTestServer, type TestServer } from '../server/support/server.js';

let real: TestServer;
let doc: Record<string, unknown>;
let answer: unknown;
let other: Server;
let url: string;

beforeAll(async () => {
  real = await startTestServer('memory://http-capabilities', { logLevel: 'warn' });
  doc = (await (await fetch(`${real.url}/v1/capabilities`)).json()) as Record<string, unknown>;
  other = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(answer));
  });
  await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
});
afterAll(async () => {
  other?.closeAllConnections();
  other?.close();
  await real?.stop();
});

it('takes a baton server capabilities document, unknown fields and all', async () => {
  answer = { ...doc, future: { x: 1 } };
  const baton = await connect(url);
  const direct = await connect(real.url);
  try {
    expect(baton.capabilities).toEqual(direct.capabilities);
  } finally {
    await Promise.all([baton.close(), direct.close()]);
  }
});

it('without semaphores (an older server), semaphores are unsupported with the reason', async () => {
  const { semaphores: _s, semaphoresUnsupported: _u, ...older } = doc;
  answer = older;
  const baton = await connect(url);
  try {
    expect(() => baton.semaphore('s', { permits: 2 })).toThrow(UnsupportedError);
    expect(() => baton.semaphore('s', { permits: 2 })).toThrow(/older than them/);
  } finally {
    await baton.close();
  }
});

type Doc = Record<string, unknown>;
it.each<[string, (doc: Doc) => unknown]>([
  ['another service', () => ({ hello: 'world' })],
  ['an array', (d) => [d]],
  ['a missing lock field', (d) => ({ ...d, locks: { ...(d.locks as Doc), listing: undefined } })],
  ['a zero maxWaitMs', (d) => ({ ...d, limits: { ...(d.limits as Doc), maxWaitMs: 0 } })],
  ['a string where a number goes', (d) => ({ ...d, dicts: { ...(d.dicts as Doc), ttlGranularityMs: '1' } })],
])('refuses %s: BackendUnavailableError', async (_what, edit) => {
  answer = edit(doc);
  const err = await connect(url).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(BackendUnavailableError);
  expect((err as Error).message).toMatch(/does not look like a baton server \(bad \/v1\/capabilities\)/);
});
