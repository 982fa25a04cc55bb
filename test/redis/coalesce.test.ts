/**
 * Concurrent dict calls of one client share script calls (coalesce.ts, dict_each.lua) without
 * losing any per-call guarantee: each call's own result and typed error, the order of one caller's
 * calls, a Redis error inside one call failing that call only. Round trips are counted with
 * `INFO commandstats` on a redis-server of this file's own (other files' commands would be counted
 * on the shared one).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BackendUnavailableError,
  type Baton,
  connect,
  InvalidArgumentError,
  TypeMismatchError,
  VersionConflictError,
} from '../../src/index.js';
import { type RedisHandle, startRedis } from '../support/services.js';

/**
 * calls reads how often Redis ran `command` (scripts' inner calls included) since the last
 * RESETSTAT; 'script' counts EVALSHA and EVAL (ioredis' first run of a script on a server).
 */
async function calls(raw: Redis, command: string): Promise<number> {
  const info = String(await raw.info('commandstats'));
  const count = (name: string) =>
    Number(new RegExp(`^cmdstat_${name}:calls=(\\d+)`, 'm').exec(info)?.[1] ?? 0);
  return command === 'script' ? count('evalsha') + count('eval') : count(command);
}

describe('redis dicts: concurrent calls share script calls', () => {
  let server: RedisHandle;
  let raw: Redis;
  let baton: Baton;
  beforeAll(async () => {
    server = await startRedis();
    raw = new Redis(server.url);
    baton = await connect(`${server.url}?expireSweepMs=0`);
  });
  afterAll(async () => {
    await baton?.close();
    raw?.disconnect();
    await server?.stop();
  });

  it('200 concurrent gets take 4 script calls (coalesce 64), each answering its own key', async () => {
    const d = baton.dict<number>('gets');
    await d.batch(Array.from({ length: 100 }, (_, i) => ({ op: 'set' as const, key: `k${i}`, value: i })));
    await raw.config('RESETSTAT');
    const got = await Promise.all(Array.from({ length: 200 }, (_, i) => d.get(`k${i}`)));
    expect(got).toEqual(Array.from({ length: 200 }, (_, i) => (i < 100 ? i : undefined)));
    expect(await calls(raw, 'hget')).toBe(200);
    expect(await calls(raw, 'script')).toBe(4);
  });

  it('with coalesce=1 every call is its own script call', async () => {
    const alone = await connect(`${server.url}?coalesce=1&expireSweepMs=0`);
    try {
      const d = alone.dict<number>('alone');
      await raw.config('RESETSTAT');
      await Promise.all(Array.from({ length: 50 }, (_, i) => d.incr(`k${i % 5}`)));
      expect(await calls(raw, 'script')).toBe(50);
      expect(await Promise.all([0, 1, 2, 3, 4].map((i) => d.get(`k${i}`)))).toEqual([10, 10, 10, 10, 10]);
    } finally {
      await alone.close();
    }
  });

  it('writes made in one tick apply in the order made, each with its own version and reply', async () => {
    const d = baton.dict<number | string>('order');
    const first = await d.set('base', 0);
    await raw.config('RESETSTAT');
    const versions = await Promise.all([
      d.set('a', 1),
      d.incrEntry('a', 10).then((e) => e.version),
      d.incrEntry('a', 100).then((e) => e.version),
      d.set('b', 'x'),
      d.delete('b').then(() => d.version()),
    ]);
    expect(await calls(raw, 'script')).toBeLessThanOrEqual(2); // the five calls, then version()
    expect(await d.get('a')).toBe(111);
    expect(await d.get('b')).toBeUndefined();
    const [v1, v2, v3, v4, v5] = versions as [number, number, number, number, number];
    expect([v2 - v1, v3 - v2, v4 - v3, v5 - v4]).toEqual([1, 1, 1, 1]);
    expect(v1).toBe(first + 1);
    // The watch history holds one change per call, in that order.
    const changes: string[] = [];
    const ac = new AbortController();
    for await (const c of d.watch({ fromVersion: first, signal: ac.signal })) {
      changes.push(`${c.version}:${c.type}:${c.key}:${c.value ?? ''}`);
      if (c.version === v5) ac.abort();
    }
    expect(changes).toEqual([
      `${v1}:set:a:1`,
      `${v2}:set:a:11`,
      `${v3}:set:a:111`,
      `${v4}:set:b:x`,
      `${v5}:delete:b:`,
    ]);
  });

  it('a caught-up watcher is woken by a shared script call (one change message for all its versions)', async () => {
    const d = baton.dict<number>('woken');
    const from = await d.set('start', 0);
    const ac = new AbortController();
    const seen: number[] = [];
    const watching = (async () => {
      for await (const c of d.watch({ fromVersion: from, signal: ac.signal })) {
        seen.push(c.version);
        if (seen.length === 10) return;
      }
    })();
    await sleep(200); // the watcher has read everything and waits for a message (or 30 s)
    await raw.config('RESETSTAT');
    await Promise.all(Array.from({ length: 10 }, (_, i) => d.set(`k${i}`, i)));
    expect(await calls(raw, 'publish')).toBe(1);
    const timer = setTimeout(() => ac.abort(), 10_000); // far below the watcher's 30 s safety net
    try {
      await watching;
    } finally {
      clearTimeout(timer);
    }
    expect(seen).toEqual(Array.from({ length: 10 }, (_, i) => from + 1 + i));
  });

  it('each call gets its own typed error; its neighbours in the same script call succeed', async () => {
    const d = baton.dict<unknown>('errors');
    await d.set('text', 'hello');
    const big = await d.set('big', 1.7976931348623157e308);
    await raw.config('RESETSTAT');
    const outcomes = await Promise.allSettled([
      d.set('ok1', 1),
      d.incr('text'),
      d.set('text', 'changed', { ifVersion: big + 100 }),
      d.incr('big', 1.7976931348623157e308),
      d.set('fresh', 1, { ifVersion: 0 }),
      d.get('text'),
      d.incr('counter', 2),
    ]);
    expect(await calls(raw, 'script')).toBe(1);
    const [ok1, incrText, conflict, overflow, fresh, text, counter] = outcomes;
    expect(ok1).toMatchObject({ status: 'fulfilled' });
    expect(incrText).toMatchObject({ status: 'rejected', reason: expect.any(TypeMismatchError) });
    expect(conflict).toMatchObject({ status: 'rejected', reason: expect.any(VersionConflictError) });
    expect(overflow).toMatchObject({ status: 'rejected', reason: expect.any(InvalidArgumentError) });
    expect(fresh).toMatchObject({ status: 'fulfilled' });
    expect(text).toEqual({ status: 'fulfilled', value: 'hello' });
    expect(counter).toEqual({ status: 'fulfilled', value: 2 });
    expect(await d.get('text')).toBe('hello');
    expect(await d.get('big')).toBe(1.7976931348623157e308);
  });

  it('a Redis error inside one call fails that call only', async () => {
    const d = baton.dict<number>('foreign');
    await d.set('fine', 1);
    // A value baton did not write (no "<version>:<expiry>:" head): incr's Lua raises on it.
    await raw.hset('baton:dict:{foreign}:entries', 'garbage', 'not-an-entry');
    await raw.config('RESETSTAT');
    const [before, broken, after] = await Promise.allSettled([
      d.incr('fine'),
      d.incr('garbage'),
      d.incr('fine'),
    ]);
    expect(await calls(raw, 'script')).toBe(1);
    expect(before).toEqual({ status: 'fulfilled', value: 2 });
    expect(broken).toMatchObject({ status: 'rejected', reason: expect.any(BackendUnavailableError) });
    expect(after).toEqual({ status: 'fulfilled', value: 3 });
  });

  it('a script call carries about 1 MiB of values at most: larger sets are split over calls', async () => {
    const d = baton.dict<string>('bytes');
    const value = 'v'.repeat(300_000);
    await raw.config('RESETSTAT');
    await Promise.all(Array.from({ length: 8 }, (_, i) => d.set(`k${i}`, value)));
    // 8 × ~300 kB: three fit under 1 MiB, so 3 + 3 + 2.
    expect(await calls(raw, 'script')).toBe(3);
    expect((await d.get('k7'))?.length).toBe(300_000);
  });

  it('a call that is not coalesced first sends the queued ones, so it runs after them', async () => {
    const d = baton.dict<string>('flush');
    const [, popped] = await Promise.all([d.set('k', 'queued'), d.pop('k')]);
    expect(popped).toBe('queued');
    expect(await d.get('k')).toBeUndefined();
  });

  it('per key, awaited calls of 32 concurrent callers see their own writes', async () => {
    const d = baton.dict<number>('callers');
    await raw.config('RESETSTAT');
    const seen = await Promise.all(
      Array.from({ length: 32 }, async (_, c) => {
        const key = `c${c}`;
        const out: Array<number | undefined> = [];
        for (let i = 0; i < 10; i++) {
          await d.set(key, i);
          out.push(await d.get(key));
          out.push(await d.incr(key, 1000));
        }
        return out;
      }),
    );
    for (const out of seen) {
      expect(out).toEqual(Array.from({ length: 10 }, (_, i) => [i, i + 1000]).flat());
    }
    // 32 callers × 30 calls, in 30 rounds of one shared script call each (and a few more if a
    // round is split across ticks).
    expect(await calls(raw, 'script')).toBeLessThan(32 * 30);
  });
});
