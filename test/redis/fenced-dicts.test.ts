/**
 * A dict whose store lost its fence table while the lock's store did not (issue 18): the lock's
 * store records, beside the scope's issued-fence counter, the dicts that were sent writes fenced
 * by the scope (fence_issued.lua), and a recorded dict with no fence on record refuses fences
 * below the counter. Here on a composed client over two real redis-servers (`{ locks, dicts }`),
 * the dict server restarted empty (SIGKILL, no persistence); the cluster form of the same loss is
 * test/fleet/cluster-wiped-dict.test.ts. Also: a dict never sent the scope's fences still takes
 * any issued fence (the conformance suite's "per dict" rule), a forged fence records nothing,
 * and the record is bounded per scope.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisConnections } from '../../src/backends/redis/client.js';
import { FENCE_ISSUED } from '../../src/backends/redis/script-defs.js';
import { Scripts } from '../../src/backends/redis/scripts.js';
import { parseRedisUrl } from '../../src/backends/redis/url.js';
import { type Baton, connect, StaleFenceError } from '../../src/index.js';
import { type RedisHandle, redisCommand, startRedis } from '../support/services.js';
import { waitUntil } from '../support/wait.js';

describe('redis: a dict store that lost its fence table, the lock store intact', () => {
  let lockStore: RedisHandle | undefined;
  let dictStore: RedisHandle | undefined;
  const tag = randomBytes(4).toString('hex');

  beforeAll(async () => {
    [lockStore, dictStore] = await Promise.all([startRedis(), startRedis()]);
  });
  afterAll(async () => {
    await Promise.all([lockStore?.stop(), dictStore?.stop()]);
  });

  const composed = (): Promise<Baton> =>
    connect({ locks: `${lockStore!.url}?prefix=${tag}:`, dicts: `${dictStore!.url}?prefix=${tag}:` });

  it('a write fenced below the counter is refused once the dict’s store comes back empty; the newest holder still writes', async () => {
    const [a, b] = await Promise.all([composed(), composed()]);
    try {
      const stale = await a.lock('L').acquire({ ttlMs: 60_000 });
      await a.dict('D').set('k', 'A', { fence: stale });
      await stale.release(); // A's lease ends (or A is paused past its TTL)
      const newer = await b.lock('L').acquire({ ttlMs: 60_000 });
      await b.dict('D').set('k', 'B', { fence: newer });
      // Before the loss the table refuses A as usual.
      await expect(a.dict('D').set('k', 'A2', { fence: stale })).rejects.toMatchObject({
        code: 'stale_fence',
        detail: 'newer_fence',
      });

      await dictStore!.kill();
      await dictStore!.restart(); // no persistence: empty
      await waitUntil(
        async () =>
          (await b
            .dict('D')
            .get('k')
            .catch(() => 'unreachable')) === undefined,
        'the dict read empty',
      );

      const err = await a
        .dict('D')
        .set('k', 'A3', { fence: stale })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StaleFenceError);
      expect(err).toMatchObject({ code: 'stale_fence', detail: 'newer_fence', fence: stale.fence });
      expect(await b.dict('D').get('k')).toBeUndefined(); // refused: nothing written
      await b.dict('D').set('k', 'B2', { fence: newer }); // the newest grant's fence passes
      expect(await b.dict('D').get('k')).toBe('B2');
      // A dict never sent L's fences still takes an older issued fence (fences are per dict).
      await a.dict('D-other').set('k', 'A', { fence: stale });
      expect(await a.dict('D-other').get('k')).toBe('A');
      await newer.release();
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  }, 60_000);

  it('a forged fence records nothing, and the record of dicts per scope is bounded', async () => {
    const c = await composed();
    const conns = await RedisConnections.open(parseRedisUrl(new URL(lockStore!.url), {}));
    try {
      const lease = await c.lock('M').acquire({ ttlMs: 60_000 });
      const setKey = `${tag}:lock:{M}:fenced-dicts`;
      await expect(
        c.dict('E').set('k', 1, { fence: { lock: 'M', fence: lease.fence + 1 } }),
      ).rejects.toMatchObject({
        detail: 'unissued_fence',
      });
      expect(await redisCommand(lockStore!.port, ['SISMEMBER', setKey, 'E'])).toBe('0');
      await c.dict('E').set('k', 1, { fence: lease });
      expect(await redisCommand(lockStore!.port, ['SISMEMBER', setKey, 'E'])).toBe('1');

      // The bound, with a small maximum: past it a dict counts as known and is not added.
      const scripts = new Scripts(conns.main);
      const read = (dict: string) =>
        scripts.call(FENCE_ISSUED, {
          counter: `${tag}:lock:{M}:fence`,
          dicts: setKey,
          dict,
          fence: lease.fence,
          max: 2,
        });
      expect(await read('F')).toEqual({ issued: lease.fence, known: false, added: true });
      expect(await read('F')).toEqual({ issued: lease.fence, known: true, added: false });
      expect(await read('G')).toEqual({ issued: lease.fence, known: true, added: false }); // full (E, F)
      expect(await redisCommand(lockStore!.port, ['SCARD', setKey])).toBe('2');
      await lease.release();
    } finally {
      conns.close();
      await c.close();
    }
  });
});
