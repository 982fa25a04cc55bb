/**
 * A near-cached dict (`baton.dict(name, { cache })`) on a Redis that is killed and restarted
 * empty: the cache is dropped as soon as its watch breaks, so while Redis is down reads fail with
 * BackendUnavailableError instead of answering from memory, and after the restart no read ever
 * returns a pre-restart value; the cache then fills again from the new store.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackendUnavailableError, connect } from '../../src/index.js';
import { eventually } from '../conformance/harness.js';
import { type RedisHandle, startRedis } from '../support/services.js';
import { RECOVERY_MS, timed, untilAnswers } from './helpers.js';

const TIMEOUT_MS = 1000;
const SLACK_MS = 5000;

describe('near cache on a redis killed and restarted empty', () => {
  let server: RedisHandle;
  let url: string;
  beforeAll(async () => {
    server = await startRedis();
    url = `${server.url}?prefix=nc-${randomBytes(4).toString('hex')}:&timeoutMs=${TIMEOUT_MS}`;
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('drops the cache when the watch breaks and never serves a pre-restart value', async () => {
    const reader = await connect(url);
    const writer = await connect(url);
    try {
      const d = reader.dict<string>('cached', { cache: { maxEntries: 8 } });
      await writer.dict<string>('cached').set('k', 'before');
      await eventually(
        async () => {
          const hits = d.cacheStats()!.hits;
          expect(await d.get('k')).toBe('before');
          return d.cacheStats()!.hits > hits;
        },
        SLACK_MS,
        'a cache hit',
      );

      await server.kill();
      await eventually(async () => d.cacheStats()!.resets > 0, TIMEOUT_MS + SLACK_MS, 'the cache dropped');
      expect(d.cacheStats()!.entries).toBe(0);
      const down = await timed(d.get('k'));
      expect(down.error).toBeInstanceOf(BackendUnavailableError);

      await server.restart();
      await untilAnswers(writer);
      await untilAnswers(reader);
      // The restarted Redis is empty: nothing of the old store may come back from the cache.
      expect(await d.get('k')).toBeUndefined();
      await writer.dict<string>('cached').set('k', 'after');
      await eventually(
        async () => {
          const value = await d.get('k');
          expect(value === undefined || value === 'after', `read ${value}`).toBe(true);
          return value === 'after' && d.cacheStats()!.watching;
        },
        RECOVERY_MS + SLACK_MS,
        'the new value read',
      );
      // The watch runs again and the cache answers from memory.
      await eventually(
        async () => {
          const hits = d.cacheStats()!.hits;
          expect(await d.get('k')).toBe('after');
          return d.cacheStats()!.hits > hits;
        },
        RECOVERY_MS + SLACK_MS,
        'a cache hit after the restart',
      );
    } finally {
      await Promise.all([reader.close(), writer.close()]);
    }
  }, 90_000);
});
