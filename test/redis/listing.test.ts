/**
 * Scan-free listing on Redis (src/backends/redis/listing.ts, dict-names.ts) and Redlock
 * (src/backends/redlock/listing.ts): held locks come from the lock index and are checked against
 * the locks themselves, free ones are pruned from it, a grant made between a reader's read and
 * its prune keeps its entry, dicts come from the name registry, and no SCAN is ever sent.
 */
import { randomBytes } from 'node:crypto';
import { type Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GRACE_MS, LockIndex } from '../../src/backends/redis/listing.js';
import { Scripts } from '../../src/backends/redis/scripts.js';
import { connect } from '../../src/index.js';
import { randomPrefix, redlockUrl, startMasters, stopMasters } from '../redlock/helpers.js';
import { type RedisHandle, startRedis } from '../support/services.js';
import { redisTargets } from './helpers.js';

const tag = randomBytes(4).toString('hex');

describe.each(redisTargets(`listing-${tag}`))('redis listing (%s)', (_, target) => {
  let raw: Redis | Cluster;
  beforeAll(() => {
    raw = target.raw();
  });
  afterAll(() => raw.disconnect());

  const indexed = async () => (await raw.zrange(`${target.prefix}lock-index`, 0, -1)).sort();

  it('lists held locks from the index, checks each against its lock, and prunes the free ones', async () => {
    const [a, b] = await Promise.all([connect(target.url), connect(target.url)]);
    try {
      const held = await a.lock('idx.held', { ttlMs: 30_000, owner: 'w1' }).acquire();
      const released = await a.lock('idx.released', { ttlMs: 30_000 }).acquire();
      await a.lock('idx.crashed', { ttlMs: 100 }).acquire();
      await released.release();
      expect(await indexed()).toEqual(['idx.crashed', 'idx.held', 'idx.released']);
      await new Promise((resolve) => setTimeout(resolve, 250));

      const listed = await b.listLocks({ prefix: 'idx.' });
      expect(listed).toEqual([
        { name: 'idx.held', held: true, fence: held.fence, owner: 'w1', expiresAt: expect.any(Number) },
      ]);
      expect(JSON.stringify(listed)).not.toContain(held.token);
      expect(await indexed()).toEqual(['idx.held']);

      // A released lock taken again is listed again: its new grant wrote a new entry.
      const again = await b.lock('idx.released', { ttlMs: 30_000 }).acquire();
      expect((await a.listLocks({ prefix: 'idx.' })).map((l) => l.name)).toEqual([
        'idx.held',
        'idx.released',
      ]);
      await Promise.all([held.release(), again.release()]);
      expect(await a.listLocks({ prefix: 'idx.' })).toEqual([]);
      expect(await indexed()).toEqual([]);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('an extension rewrites the entry, so a reader that saw the old one cannot prune it', async () => {
    const baton = await connect(target.url);
    const index = new LockIndex(target.prefix);
    const scripts = new Scripts(raw);
    try {
      const lease = await baton.lock('idx.race', { ttlMs: 30_000 }).acquire();
      const [seen] = await index.read(scripts, 'idx.race');
      expect(seen?.name).toBe('idx.race');
      await lease.extend(40_000);
      await index.prune(scripts, [seen!]);
      expect(await indexed()).toEqual(['idx.race']);
      // With the score it really has, the prune does drop it (here while held, which a reader
      // only does after inspect found the lock free).
      const [now] = await index.read(scripts, 'idx.race');
      expect(now!.score).not.toBe(seen!.score);
      await index.prune(scripts, [now!]);
      expect(await indexed()).toEqual([]);
      await lease.release();
    } finally {
      await baton.close();
    }
  });

  it(`drops entries more than GRACE_MS (${GRACE_MS} ms) past their expiry on the next grant`, async () => {
    const baton = await connect(target.url);
    try {
      const time = await raw.time();
      const serverNow = Number(time[0]) * 1000 + Math.floor(Number(time[1]) / 1000);
      await raw.zadd(`${target.prefix}lock-index`, serverNow - GRACE_MS - 1000, 'idx.ancient');
      await raw.zadd(`${target.prefix}lock-index`, serverNow - GRACE_MS + 30_000, 'idx.recent');
      const lease = await baton.lock('idx.fresh', { ttlMs: 30_000 }).acquire();
      expect(await indexed()).toEqual(['idx.fresh', 'idx.recent']);
      await lease.release();
      expect(await baton.listLocks({ prefix: 'idx.' })).toEqual([]);
      expect(await indexed()).toEqual([]);
    } finally {
      await baton.close();
    }
  });

  it('lists dicts with live entries, by name prefix and limit, without the empty ones', async () => {
    const [a, b] = await Promise.all([connect(target.url), connect(target.url)]);
    try {
      const names = ['d.alpha', 'd.beta', 'd.c:x-y_z', 'd.d', 'e.other'];
      for (const [i, name] of names.entries()) {
        for (let k = 0; k <= i; k++) await a.dict(name).set(`k${k}`, k);
      }
      await a.dict('d.cleared').set('x', 1);
      await a.dict('d.cleared').clear();
      await a.dict('d.expiring').set('x', 1, { ttlMs: 50 });
      await new Promise((resolve) => setTimeout(resolve, 120));
      expect(await b.listDicts({ prefix: 'd.' })).toEqual([
        { name: 'd.alpha', size: 1 },
        { name: 'd.beta', size: 2 },
        { name: 'd.c:x-y_z', size: 3 },
        { name: 'd.d', size: 4 },
      ]);
      expect(await b.listDicts({ prefix: 'd.', limit: 2 })).toHaveLength(2);
      expect((await b.listDicts()).map((d) => d.name)).toContain('e.other');
      // Another client's first write registers the name again only if needed: still one entry each.
      await b.dict('d.alpha').incr('n', 1);
      expect(await raw.zscore(`${target.prefix}dict-names`, 'd.alpha')).toBe('0');
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});

describe('redis listing sends no SCAN', () => {
  let redis: RedisHandle;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(() => redis.stop());

  it('listLocks and listDicts read the index and the registry, never the keyspace', async () => {
    const baton = await connect(redis.url);
    const raw = new Redis({ port: redis.port, host: '127.0.0.1' });
    try {
      await raw.config('RESETSTAT');
      const leases = await Promise.all(['s1', 's2'].map((n) => baton.lock(n, { ttlMs: 30_000 }).acquire()));
      await baton.dict('jobs').set('a', 1);
      for (let i = 0; i < 500; i++) await raw.set(`unrelated:${i}`, 'x');
      expect((await baton.listLocks()).map((l) => l.name)).toEqual(['s1', 's2']);
      expect(await baton.listDicts()).toEqual([{ name: 'jobs', size: 1 }]);
      const stats = await raw.info('commandstats');
      // The stats do count this client's commands: its 500, plus one SET of each lock's fence
      // counter by the grants (fence_lib.lua writes the counter as text).
      expect(stats).toMatch(/cmdstat_set:calls=502,/);
      expect(stats).not.toMatch(/cmdstat_scan:/);
      expect(stats).not.toMatch(/cmdstat_keys:/);
      await Promise.all(leases.map((l) => l.release()));
    } finally {
      raw.disconnect();
      await baton.close();
    }
  });
});

describe('redis lock index on a single Redis', () => {
  let redis: RedisHandle;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(() => redis.stop());

  const evalshaCalls = (stats: string) => Number(/cmdstat_evalsha:calls=(\d+),/.exec(stats)?.[1] ?? 0);

  it('is written by the lock scripts themselves: a grant, an extension and a release are one script each', async () => {
    const baton = await connect(`${redis.url}?prefix=one:`);
    const raw = new Redis({ port: redis.port, host: '127.0.0.1' });
    try {
      // Load the scripts first (a first EVALSHA answers NOSCRIPT and is sent again as EVAL).
      const warm = await baton.lock('warm', { ttlMs: 30_000 }).acquire();
      await warm.extend();
      await warm.release();
      await raw.config('RESETSTAT');
      const lease = await baton.lock('cycle', { ttlMs: 30_000 }).acquire();
      const granted = await raw.zscore('one:lock-index', 'cycle');
      expect(Number(granted)).toBeGreaterThan(Date.now());
      await lease.extend(60_000);
      const extended = await raw.zscore('one:lock-index', 'cycle');
      expect(Number(extended)).toBeGreaterThan(Number(granted) + 20_000);
      expect(await lease.release()).toBe(true);
      const stats = await raw.info('commandstats');
      expect(evalshaCalls(stats)).toBe(3);
      expect(stats).not.toMatch(/cmdstat_eval:/);
      expect((await baton.listLocks()).map((l) => l.name)).toEqual([]);
    } finally {
      raw.disconnect();
      await baton.close();
    }
  });
});

describe('redlock listing (3 masters)', () => {
  let masters: RedisHandle[] = [];
  let url = '';
  const prefix = randomPrefix('listing');
  beforeAll(async () => {
    masters = await startMasters(3);
    url = redlockUrl(masters, { prefix });
  });
  afterAll(() => stopMasters(masters));

  it('lists a lock held by a quorum while one master is down, and forgets it once released', async () => {
    const [a, b] = await Promise.all([connect(url), connect(url)]);
    try {
      const lease = await a.lock('rl.one', { ttlMs: 30_000, owner: 'w' }).acquire();
      await masters[0]!.kill();
      const listed = await b.listLocks({ prefix: 'rl.' });
      expect(listed).toMatchObject([{ name: 'rl.one', held: true, fence: lease.fence, owner: 'w' }]);
      expect(JSON.stringify(listed)).not.toContain(lease.token);
      await lease.release();
      expect(await b.listLocks({ prefix: 'rl.' })).toEqual([]);
      for (const m of masters.slice(1)) {
        const raw = new Redis({ port: m.port, host: '127.0.0.1' });
        expect(await raw.zcard(`${prefix}lock-index`)).toBe(0);
        raw.disconnect();
      }
    } finally {
      await Promise.all([a.close(), b.close()]);
      await masters[0]!.restart();
    }
  });

  it('fails with BackendUnavailableError when fewer than a quorum of masters answer', async () => {
    const baton = await connect(url);
    try {
      await Promise.all([masters[0]!.kill(), masters[1]!.kill()]);
      await expect(baton.listLocks()).rejects.toMatchObject({ code: 'backend_unavailable' });
    } finally {
      await baton.close();
      await Promise.all([masters[0]!.restart(), masters[1]!.restart()]);
    }
  });
});
