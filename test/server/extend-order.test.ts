/**
 * Extends of one token are ordered by the server too: a raw REST client that pipelines two
 * extends of one lease on one connection (60 s, then 3 s) leaves the store with the TTL of the
 * one it sent last, on an etcd-backed server, where each extend with a new TTL moves the key to a
 * new etcd lease and, run side by side, the store kept whichever move committed last. Also: the
 * server's queue keeps no entry for an idle token.
 */
import { connect as connectTcp } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { KeyedQueue } from '../../src/server/ordered.js';
import { uniqueName } from '../conformance/harness.js';
import { batonEtcdUrl } from '../etcd/helpers.js';
import { rest } from './support/rest.js';
import { startTestServer, type TestServer } from './support/server.js';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer(batonEtcdUrl(inject('etcdUrl')), { logLevel: 'warn' });
});
afterAll(() => s.stop());

/** TRIALS leases are extended at once; before the fix about one in four ended with the 60 s TTL. */
const TRIALS = 12;

/** pipelined sends `bodies` as POSTs to `path` on one connection, back to back, and returns the statuses and bodies. */
async function pipelined(path: string, bodies: unknown[]): Promise<Array<{ status: number; json: unknown }>> {
  const { hostname, port } = new URL(s.url);
  const socket = connectTcp(Number(port), hostname);
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  const ended = new Promise<void>((resolve, reject) => {
    socket.on('end', resolve);
    socket.on('error', reject);
  });
  const requests = bodies.map((b, i) => {
    const body = JSON.stringify(b);
    const close = i === bodies.length - 1 ? 'close' : 'keep-alive';
    return `POST ${path} HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: ${close}\r\n\r\n${body}`;
  });
  socket.write(requests.join('')); // not end(): the server would drop a half-closed connection; it closes after the last
  await ended;
  const text = Buffer.concat(chunks).toString('utf8');
  const replies: Array<{ status: number; json: unknown }> = [];
  let rest = text;
  while (rest.startsWith('HTTP/1.1 ')) {
    const head = rest.slice(0, rest.indexOf('\r\n\r\n'));
    const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
    const start = head.length + 4;
    replies.push({ status: Number(head.slice(9, 12)), json: JSON.parse(rest.slice(start, start + length)) });
    rest = rest.slice(start + length);
  }
  return replies;
}

describe('REST extends of one token are ordered by the server', () => {
  it('two pipelined extends (60 s, then 3 s) leave the store with the last one’s TTL, on etcd', async () => {
    const results = await Promise.all(
      Array.from({ length: TRIALS }, async () => {
        const name = uniqueName('lock');
        const a = await rest(s.url, 'POST', `/v1/locks/${name}/acquire`, { json: { ttlMs: 10_000 } });
        const token = a.json.token as string;
        const replies = await pipelined(`/v1/locks/${name}/extend`, [
          { token, ttlMs: 60_000 },
          { token, ttlMs: 3_000 },
        ]);
        const info = await rest(s.url, 'GET', `/v1/locks/${name}`);
        await rest(s.url, 'POST', `/v1/locks/${name}/release`, { json: { token } });
        const left = (info.json.expiresAt as number) - Date.now();
        return { statuses: replies.map((r) => r.status), storeKeptShort: left < 30_000 };
      }),
    );
    expect(results).toEqual(Array(TRIALS).fill({ statuses: [200, 200], storeKeptShort: true }));
  }, 60_000);

  it('the queue runs one key’s tasks in order, others side by side, and forgets an idle key', async () => {
    const q = new KeyedQueue();
    const order: string[] = [];
    let releaseFirst!: () => void;
    const first = q.run('a', () => new Promise<void>((r) => (releaseFirst = r)).then(() => order.push('a1')));
    const second = q.run('a', async () => order.push('a2'));
    const other = q.run('b', async () => order.push('b1'));
    await other;
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual(['b1']); // 'a2' waits for 'a1'
    expect(q.size).toBe(1); // 'b' is idle and forgotten
    releaseFirst();
    await Promise.all([first, second]);
    expect(order).toEqual(['b1', 'a1', 'a2']);
    const failing = q.run('a', () => Promise.reject(new Error('boom')));
    const after = q.run('a', async () => 'ran');
    await expect(failing).rejects.toThrow('boom');
    expect(await after).toBe('ran');
    await new Promise((r) => setImmediate(r)); // the cleanup runs once the last task's promise settles
    expect(q.size).toBe(0);
  });
});
