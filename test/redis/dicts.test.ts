/**
 * Redis-specific dict behaviour the conformance suite does not reach: incr keeps full double
 * precision through Lua, a clear of more keys than Lua can unpack is one version with one delete
 * per key, the default stream is trimmed approximately but never below its limit, and an entry
 * with a TTL is reclaimed from Redis (not only hidden) once it expires.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type Baton, connect } from '../../src/index.js';

describe('redis dicts', () => {
  const prefix = `dicts-${randomBytes(4).toString('hex')}:`;
  let baton: Baton;
  let raw: Redis;
  beforeAll(async () => {
    // No background expiry sweep on this client: the last test checks what is left when nobody purges.
    baton = await connect(`${inject('redisUrl')}?prefix=${prefix}&expireSweepMs=0`);
    raw = new Redis(inject('redisUrl'));
  });
  afterAll(async () => {
    await baton?.close();
    raw?.disconnect();
  });

  it('incr gives exactly the double JavaScript would', async () => {
    const d = baton.dict<number>('precision');
    const cases: Array<[number, number]> = [
      [0.1, 0.2],
      [1 / 3, 2 / 3],
      [2 ** 53, 1],
      [2 ** 53 - 1, 1],
      [1e21, 12345],
      [-0.5, 0.5],
      [5e-324, 5e-324],
      [1.7976931348623157e308, -1e300],
      [123456789.12345679, 1e-7],
      [-1e-7, 3.3e-12],
    ];
    for (const [i, [start, by]] of cases.entries()) {
      await d.set(`k${i}`, start);
      const got = await d.incr(`k${i}`, by);
      expect(Object.is(got, start + by) || got === start + by, `${start} + ${by}`).toBe(true);
      expect(await d.get(`k${i}`)).toBe(start + by);
    }
  });

  it('clear of 10 000 keys is one version with one delete change per key', async () => {
    const d = baton.dict<number>('big');
    for (let start = 0; start < 10_000; start += 100) {
      await d.batch(
        Array.from({ length: 100 }, (_, i) => ({ op: 'set' as const, key: `k${start + i}`, value: i })),
      );
    }
    const before = await d.version();
    const ac = new AbortController();
    const deletes = (async () => {
      let n = 0;
      for await (const c of d.watch({ fromVersion: before, signal: ac.signal })) {
        expect(c).toMatchObject({ type: 'delete', version: before + 1 });
        if (++n === 10_000) break;
      }
      return n;
    })();
    await d.clear();
    expect(await deletes).toBe(10_000);
    expect(await d.version()).toBe(before + 1);
    expect(await d.size()).toBe(0);
  }, 60_000);

  it('the default stream keeps at least its limit and is trimmed approximately', async () => {
    const small = await connect(`${inject('redisUrl')}?prefix=${prefix}&history=1000`);
    try {
      const d = small.dict<number>('trimmed');
      for (let v = 0; v < 1500; v += 100) {
        await d.batch(
          Array.from({ length: 100 }, (_, i) => ({ op: 'set' as const, key: `k${i}`, value: v })),
        );
        for (let i = 0; i < 99; i++) await d.incr('n');
      }
      const len = await raw.xlen(`${prefix}dict:{trimmed}:changes`);
      expect(len).toBeGreaterThanOrEqual(1000);
      expect(len).toBeLessThan(await d.version());
    } finally {
      await small.close();
    }
  }, 60_000);

  it('an expired entry is never returned, and is removed from Redis by the next write to its dict', async () => {
    const d = baton.dict<string>('reclaim');
    await d.set('kept', 'always'); // first: a write after 'gone' expired would purge it (a stall > 50 ms did)
    await d.set('gone', 'soon', { ttlMs: 50 });
    const entries = `${prefix}dict:{reclaim}:entries`;
    expect(await raw.hlen(entries)).toBe(2);
    await sleep(100);
    expect(await raw.hlen(entries)).toBe(2); // nobody touched the dict: still there, but…
    expect(await d.has('gone')).toBe(false); // …never returned; a read does not purge…
    expect(await d.getEntry('gone')).toBeUndefined();
    expect(await raw.hlen(entries)).toBe(2);
    await d.set('other', 'x'); // …a write does, and records the expiry
    expect((await raw.hkeys(entries)).sort()).toEqual(['kept', 'other']);
    expect(await raw.zcard(`${prefix}dict:{reclaim}:ttl`)).toBe(0);
  });
});
