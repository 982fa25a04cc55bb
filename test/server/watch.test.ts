/**
 * Watch over SSE: the wire format (id = version, event = type, JSON data, keep-alive comments),
 * Last-Event-ID resume, 410 for compacted history; and the http backend's reader, which resumes
 * after a dropped connection — even one cut in the middle of a batch — without a gap or a repeat.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Change, connect, HistoryCompactedError } from '../../src/index.js';
import { collect, uniqueName } from '../conformance/harness.js';
import { expectProblem, rest } from './support/rest.js';
import { startTestServer, type TestServer } from './support/server.js';

let s: TestServer;
let small: TestServer;
beforeAll(async () => {
  [s, small] = await Promise.all([
    startTestServer('memory://server-watch', { limits: { sseKeepAliveMs: 100 }, logLevel: 'warn' }),
    startTestServer('memory://server-watch-small?history=3', { logLevel: 'warn' }),
  ]);
});
afterAll(() => Promise.all([s.stop(), small.stop()]));

/** readStream reads an SSE response until `done(text)` or `ms` pass, then aborts it. */
async function readStream(
  url: string,
  headers: Record<string, string>,
  done: (text: string) => boolean,
  ms = 5_000,
) {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), ms);
  const res = await fetch(url, { headers, signal: ac.signal });
  let text = '';
  try {
    const decoder = new TextDecoder();
    for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
      text += decoder.decode(chunk, { stream: true });
      if (done(text)) break;
    }
  } catch {
    // aborted at the time limit
  } finally {
    clearTimeout(timer);
    ac.abort();
  }
  return { status: res.status, type: res.headers.get('content-type'), text };
}

const events = (text: string) => text.split('\n\n').filter((b) => b.startsWith('id:'));

describe('watch over SSE', () => {
  it('streams each change as id: version, event: type, data: JSON; a batch shares one id; Last-Event-ID resumes', async () => {
    const d = s.baton.dict(uniqueName('dict'));
    await d.set('a', 1);
    await d.set('line\nbreak', 'x');
    await d.batch([
      { op: 'set', key: 'b', value: { n: 2 } },
      { op: 'delete', key: 'a' },
    ]);
    const all = await readStream(
      `${s.url}/v1/dicts/${d.name}/watch?fromVersion=0`,
      {},
      (t) => events(t).length >= 4,
    );
    expect(all.status).toBe(200);
    expect(all.type).toMatch(/^text\/event-stream/);
    const h = /^id: ([^\n]+):1\n/.exec(events(all.text)[0] ?? '')?.[1];
    expect(h).toBe((await d.entries()).history);
    expect(events(all.text)).toEqual([
      `id: ${h}:1\nevent: set\ndata: {"key":"a","value":1,"version":1}`,
      `id: ${h}:2\nevent: set\ndata: {"key":"line\\nbreak","value":"x","version":2}`,
      `id: ${h}:3\nevent: set\ndata: {"key":"b","value":{"n":2},"version":3}`,
      `id: ${h}:3\nevent: delete\ndata: {"key":"a","version":3}`,
    ]);
    // With the history, and as a plain version (clients older than history ids).
    for (const last of [`${h}:2`, '2']) {
      const resumed = await readStream(
        `${s.url}/v1/dicts/${d.name}/watch?fromVersion=0`,
        { 'last-event-id': last },
        (t) => events(t).length >= 2,
      );
      expect(events(resumed.text).map((e) => e.split('\n')[0])).toEqual([`id: ${h}:3`, `id: ${h}:3`]);
    }
  });

  it('answers 410 history_compacted for another history or a version not reached', async () => {
    const d = s.baton.dict(uniqueName('dict'));
    await d.set('a', 1);
    await d.set('b', 2);
    const path = `/v1/dicts/${d.name}/watch`;
    const other = await rest(s.url, 'GET', path, { headers: { 'last-event-id': 'another-history:1' } });
    expectProblem(other, 410, 'history_compacted');
    expectProblem(
      await rest(s.url, 'GET', `${path}?fromVersion=1&history=another`),
      410,
      'history_compacted',
    );
    expectProblem(await rest(s.url, 'GET', `${path}?fromVersion=3`), 410, 'history_compacted');
    const bad = await rest(s.url, 'GET', path, { headers: { 'last-event-id': 'a b:1' } });
    expect(bad.status).toBe(400);
  });

  it('sends keep-alive comments while nothing changes', async () => {
    const r = await readStream(
      `${s.url}/v1/dicts/${uniqueName('dict')}/watch`,
      {},
      (t) => t.split(': keepalive').length > 3,
    );
    expect(r.text.split(': keepalive').length).toBeGreaterThan(3);
  });

  it('answers 410 history_compacted for history that is gone', async () => {
    const d = small.baton.dict(uniqueName('dict'));
    for (let i = 0; i < 10; i++) await d.set('k', i);
    const r = await rest(small.url, 'GET', `/v1/dicts/${d.name}/watch?fromVersion=1`);
    expectProblem(r, 410, 'history_compacted');
    expect(r.json).toMatchObject({ fromVersion: 1 });
    // HEAD answers what GET would, without a body (and without hanging on the stream).
    const head = await fetch(`${small.url}/v1/dicts/${d.name}/watch?fromVersion=1`, {
      method: 'HEAD',
      signal: AbortSignal.timeout(5_000),
    });
    expect(head.status).toBe(410);
    const live = await fetch(`${small.url}/v1/dicts/${d.name}/watch`, {
      method: 'HEAD',
      signal: AbortSignal.timeout(5_000),
    });
    expect(live.status).toBe(200);
    expect(live.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const client = await connect(small.url);
    try {
      await expect(
        collect((signal) => client.dict(d.name).watch({ fromVersion: 1, signal }), 1, 5_000),
      ).rejects.toBeInstanceOf(HistoryCompactedError);
    } finally {
      await client.close();
    }
  });
});

describe('the http backend watch', () => {
  it('resumes after the server drops every connection, losing and repeating nothing', async () => {
    const client = await connect(s.url);
    const name = uniqueName('dict');
    const d = s.baton.dict<number>(name);
    const ac = new AbortController();
    const seen: Array<Change<number>> = [];
    const reading = (async () => {
      for await (const c of client.dict<number>(name).watch({ fromVersion: 0, signal: ac.signal })) {
        seen.push(c);
        if (seen.length === 6) break;
      }
    })();
    await d.set('a', 1);
    await d.set('b', 2);
    while (seen.length < 2) await new Promise((r) => setTimeout(r, 10));
    s.server.closeAllConnections();
    await d.batch([
      { op: 'set', key: 'c', value: 3 },
      { op: 'set', key: 'd', value: 4 },
    ]);
    s.server.closeAllConnections();
    await d.set('e', 5);
    await d.set('f', 6);
    await reading;
    ac.abort();
    await client.close();
    expect(seen.map((c) => [c.key, c.version])).toEqual([
      ['a', 1],
      ['b', 2],
      ['c', 3],
      ['d', 3],
      ['e', 4],
      ['f', 5],
    ]);
  });

  it('a connection cut in the middle of a batch resumes from the version before it and skips what it had', async () => {
    // A scripted SSE server: the first stream ends after 2 of the 3 changes of version 2.
    const resumes: string[] = [];
    const send = (res: ServerResponse, id: number, key: string) =>
      res.write(`id: ${id}\nevent: set\ndata: ${JSON.stringify({ key, value: key, version: id })}\n\n`);
    const fake = createServer((req, res) => {
      if (req.url === '/v1/capabilities') {
        res.setHeader('content-type', 'application/json');
        res.end(
          JSON.stringify({
            locks: { fairOrdering: true, notifiedWaiting: true, minTtlMs: 1, listing: true },
            dicts: { ownershipGuard: true, ttlGranularityMs: 1 },
            limits: { maxWaitMs: 1000, maxBodyBytes: 1024, sseKeepAliveMs: 1000 },
          }),
        );
        return;
      }
      resumes.push(String(req.headers['last-event-id']));
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      if (resumes.length === 1) {
        send(res, 1, 'a');
        send(res, 2, 'b');
        send(res, 2, 'c');
        setTimeout(() => res.destroy(), 50);
      } else {
        for (const k of ['b', 'c', 'd']) send(res, 2, k);
        send(res, 3, 'e');
      }
    });
    await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
    const client = await connect(`http://127.0.0.1:${(fake.address() as AddressInfo).port}`);
    try {
      const got = await collect((signal) => client.dict('d').watch({ fromVersion: 0, signal }), 5, 5_000);
      expect(got.map((c) => [c.key, c.version])).toEqual([
        ['a', 1],
        ['b', 2],
        ['c', 2],
        ['d', 2],
        ['e', 3],
      ]);
      expect(resumes).toEqual(['0', '1']);
    } finally {
      await client.close();
      fake.closeAllConnections();
      fake.close();
    }
  });
});
