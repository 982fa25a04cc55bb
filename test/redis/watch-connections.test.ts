/**
 * Dict watchers share connections: 200 watches (on 200 dicts) through one baton client cost a
 * couple of Redis connections, not one each, and every one of them still sees its change at
 * once. Counted with CLIENT LIST on a private redis-server (single node) and, on the shared
 * cluster, as this process's open TCP sockets.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type Baton, connect } from '../../src/index.js';
import { SLACK_MS, within } from '../conformance/harness.js';
import { type RedisHandle, redisClusterNodes, redisCommand, startRedis } from '../support/services.js';

const WATCHERS = 200;

/** watchMany opens one watch per dict, kept open until `signal` aborts; each promise resolves on its first change. */
function watchMany(baton: Baton, dicts: string[], signal: AbortSignal): Array<Promise<number>> {
  return dicts.map(
    (name) =>
      new Promise<number>((resolve, reject) => {
        (async () => {
          for await (const c of baton.dict<number>(name).watch({ fromVersion: 0, signal }))
            resolve(c.version);
        })().catch(reject);
      }),
  );
}

/** tcpSockets counts this process's open TCP sockets. */
function tcpSockets(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length;
}

/** checkAll writes one change to each dict and waits for every watcher to see it. */
async function checkAll(writer: Baton, dicts: string[], firsts: Array<Promise<number>>): Promise<void> {
  const versions = await Promise.all(dicts.map((name) => writer.dict<number>(name).set('k', 1)));
  expect(await within(Promise.all(firsts), 4 * SLACK_MS, 'every watcher seeing its change')).toEqual(
    versions,
  );
}

describe('redis watchers share connections', () => {
  let server: RedisHandle;
  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it(`single node: ${WATCHERS} watches through one client add at most 2 clients to CLIENT LIST`, async () => {
    const port = Number(new URL(server.url).port);
    const clients = async () =>
      String(await redisCommand(port, ['CLIENT', 'LIST']))
        .trim()
        .split('\n').length;
    const url = `${server.url}?prefix=conns-${randomBytes(4).toString('hex')}:`;
    const [writer, watcher] = await Promise.all([connect(url), connect(url)]);
    const ac = new AbortController();
    try {
      const dicts = Array.from({ length: WATCHERS }, (_, i) => `d${i}`);
      await watcher.ping();
      const before = await clients();
      const firsts = watchMany(watcher, dicts, ac.signal);
      await checkAll(writer, dicts, firsts);
      expect((await clients()) - before).toBeLessThanOrEqual(2);
    } finally {
      ac.abort();
      await Promise.all([writer.close(), watcher.close()]);
    }
  }, 60_000);

  it(`cluster: ${WATCHERS} watches through one client open at most 4 more sockets`, async () => {
    const [first, ...others] = redisClusterNodes(inject('redisClusterUrl')).map((n) => `${n.host}:${n.port}`);
    const url = `redis+cluster://${first}?nodes=${others.join(',')}&prefix=conns-${randomBytes(4).toString('hex')}:`;
    const [writer, watcher] = await Promise.all([connect(url), connect(url)]);
    const ac = new AbortController();
    try {
      const dicts = Array.from({ length: WATCHERS }, (_, i) => `d${i}`);
      // every master connected, for both clients
      await Promise.all(
        dicts.slice(0, 20).flatMap((name) => [watcher, writer].map((b) => b.dict(name).version())),
      );
      const before = tcpSockets();
      const firsts = watchMany(watcher, dicts, ac.signal);
      await checkAll(writer, dicts, firsts);
      expect(tcpSockets() - before).toBeLessThanOrEqual(4);
    } finally {
      ac.abort();
      await Promise.all([writer.close(), watcher.close()]);
    }
  }, 60_000);
});
