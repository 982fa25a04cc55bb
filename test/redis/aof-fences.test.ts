/**
 * Fences on a Redis that crashes: with AOF and `appendfsync always`, the fence counter (a key
 * without TTL) and a dict's fence table survive a SIGKILL, so the next grant after the restart
 * gets a larger fence and a stale holder's fenced write is still refused.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, StaleFenceError } from '../../src/index.js';
import { type RedisHandle, startRedis } from '../support/services.js';
import { untilAnswers } from './helpers.js';

describe('redis fences with AOF appendfsync always', () => {
  let server: RedisHandle;
  beforeAll(async () => {
    server = await startRedis({ appendonly: true, appendfsync: 'always' });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('a fence granted before a crash is exceeded by the next grant after restart', async () => {
    const url = `${server.url}?prefix=aof-${randomBytes(4).toString('hex')}:&timeoutMs=1000`;
    const baton = await connect(url);
    try {
      const lock = baton.lock('nightly', { ttlMs: 60_000 });
      const first = await lock.acquire();
      const jobs = baton.dict<string>('jobs');
      await jobs.set('a', 'first', { fence: first });
      expect(await first.release()).toBe(true);
      const second = await lock.acquire();
      await jobs.set('a', 'second', { fence: second });

      await server.kill();
      await server.restart();
      await untilAnswers(baton);

      // The holder survived too (its key and TTL are in the AOF): nobody else can take the lock.
      expect(await lock.tryAcquire()).toBeNull();
      expect(await second.release()).toBe(true);
      const third = await lock.acquire();
      expect(third.fence).toBeGreaterThan(second.fence);
      expect(await jobs.get('a')).toBe('second');
      // The dict's fence table survived: a write fenced by the first grant is still stale.
      await expect(
        jobs.set('a', 'stale', { fence: { lock: 'nightly', fence: first.fence } }),
      ).rejects.toBeInstanceOf(StaleFenceError);
      await third.release();
    } finally {
      await baton.close();
    }
  });
});
