/**
 * A main connection whose reconnection attempt is cut short must connect again. ioredis ends a
 * client for good ('end', every command then fails with "Connection is closed.") when the
 * connection is dropped while a reconnection attempt is still under way: through Sentinel, a
 * `+switch-master` (the failover detector) or a READONLY reply arriving while ioredis asks the
 * sentinels for the master. The fleet's Sentinel soak (issue 18) left 4 of 6 workers so, unable to
 * do anything until restarted. Here the same drop is made at the same moment by hand — in the
 * 'connecting' event of the reconnection, which is what the failover detector's
 * `connector.disconnect()` amounts to — on a single Redis and behind sentinels, and the baton
 * client must work again on its own; after `close()` it must stay closed.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisConnections } from '../../src/backends/redis/client.js';
import { parseRedisUrl } from '../../src/backends/redis/url.js';
import { type SentinelHandle, startSentinelDeployment } from '../support/redis-sentinel.js';
import { type RedisHandle, startRedis } from '../support/services.js';

let single: RedisHandle;
let sentinel: SentinelHandle;

beforeAll(async () => {
  [single, sentinel] = await Promise.all([startRedis(), startSentinelDeployment({ replicas: 1 })]);
}, 120_000);

afterAll(async () => {
  await Promise.all([single?.stop(), sentinel?.stop()]);
});

async function until(what: string, ok: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await sleep(20);
  }
}

describe.each([
  ['single Redis', () => single.url],
  ['behind sentinels', () => sentinel.url],
])('a reconnection cut short (%s)', (_label, url) => {
  it('ends the ioredis client, and the baton client connects again by itself', async () => {
    const conns = await RedisConnections.open(parseRedisUrl(new URL(url())));
    const main = conns.main as Redis;
    try {
      expect(await main.ping()).toBe('PONG');
      let ended = false;
      main.once('end', () => {
        ended = true;
      });
      // Drop the connection; when ioredis starts reconnecting, drop it again mid-attempt.
      main.once('connecting', () => main.disconnect(true));
      main.disconnect(true);
      await until("ioredis' 'end'", () => ended, 30_000);
      // Recovery is waited for, not timed: a back-off of at most a second, on a busy machine.
      await until('the main client ready again', () => main.status === 'ready', 60_000);
      expect(await main.ping()).toBe('PONG');
    } finally {
      conns.close();
    }
    await until("'end' after close()", () => main.status === 'end', 30_000);
    await sleep(1500); // longer than the longest back-off: a closed client must not come back
    expect(main.status).toBe('end');
  }, 150_000);
});
