/**
 * Connecting to Redlock: the `redlock://` URL forms and their errors; opening with only a quorum
 * of masters reachable (the others join when they come up) and failing fast without one; and the
 * dict side of a bare Redlock URL, which answers with UnsupportedError naming the composed form.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRedlockUrl } from '../../src/backends/redlock/index.js';
import { parseBackendUrl } from '../../src/backends/url.js';
import {
  BackendUnavailableError,
  connect,
  InvalidArgumentError,
  type Lease,
  UnsupportedError,
} from '../../src/index.js';
import { freePorts, type RedisHandle, startRedis } from '../support/services.js';
import { randomPrefix, redlockUrl, startMasters, stopMasters, timed, untilAnswers } from './helpers.js';

describe('redlock URL', () => {
  it('reads a plain host list (as connect() hands it over), with defaults, path, credentials and options', () => {
    const s = parseRedlockUrl(
      parseBackendUrl('redlock://u:p%40ss@h1:7000,h2,[::1]:7002/3?prefix=app:&timeoutMs=250&tls=true'),
    );
    expect(s.masters.map((m) => m.nodes[0])).toEqual([
      { host: 'h1', port: 7000 },
      { host: 'h2', port: 6379 },
      { host: '::1', port: 7002 },
    ]);
    expect(s.quorum).toBe(2);
    expect([s.prefix, s.timeoutMs]).toEqual(['app:', 250]);
    for (const m of s.masters) {
      expect(m).toMatchObject({ mode: 'single', db: 3, username: 'u', password: 'p@ss', tls: true });
    }
  });

  it('reads the percent-encoded host list, and defaults to prefix baton: and 5000 ms', () => {
    const s = parseRedlockUrl(new URL('redlock://a%3A1,b%3A2,c%3A3,d%3A4,e%3A5'));
    expect(s.masters.map((m) => m.nodes[0]!.port)).toEqual([1, 2, 3, 4, 5]);
    expect([s.quorum, s.prefix, s.timeoutMs]).toEqual([3, 'baton:', 5000]);
  });

  it.each([
    ['redlock://', /list of masters/],
    ['redlock://a:1,a:1', /twice/],
    ['redlock://a:1,b:2?history=5', /unknown redlock URL option "history"/],
    ['redlock://a:1,b:99999', /host or host:port|not a backend URL/],
    ['redlock://a:1,b:2?prefix=x{y}', /prefix/],
    ['redlock://a:1,b:2?timeoutMs=0', /timeoutMs/],
  ])('refuses %s with InvalidArgumentError', (text, message) => {
    let err: unknown;
    try {
      parseRedlockUrl(parseBackendUrl(text));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect(String(err)).toMatch(message);
  });

  it('connect() takes the documented plain form redlock://h1:p1,h2:p2,h3:p3', async () => {
    const err = await connect('redlock://127.0.0.1:1,127.0.0.1:2,127.0.0.1:3?timeoutMs=200').catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(BackendUnavailableError); // unreachable, but parsed
  });
});

describe('redlock: opening with part of the masters', () => {
  let masters: RedisHandle[] = [];
  const late: RedisHandle[] = [];
  beforeAll(async () => {
    masters = await startMasters(3);
  });
  afterAll(async () => {
    await stopMasters([...masters, ...late]);
  });

  it('fewer than a quorum reachable: connect fails with BackendUnavailableError within the timeout', async () => {
    const down = await freePorts(3);
    const url = `redlock://${[masters[0]!.port, masters[1]!.port, ...down].map((p) => `127.0.0.1%3A${p}`).join(',')}?timeoutMs=500`;
    const r = await timed(connect(url));
    expect(r.error).toBeInstanceOf(BackendUnavailableError);
    expect(String(r.error)).toMatch(/2 of 5 masters reachable.*3 needed/);
    expect(r.ms).toBeLessThan(500 + 3000);
  });

  it('a quorum reachable: connect works, and masters started later join the same client', async () => {
    const down = await freePorts(2);
    const ports = [...masters.map((m) => m.port), ...down];
    const url = `redlock://${ports.map((p) => `127.0.0.1%3A${p}`).join(',')}?timeoutMs=500&prefix=${randomPrefix()}`;
    const baton = await connect(url);
    try {
      const lease = await baton.lock('partial', { ttlMs: 10_000 }).acquire();
      await lease.release();
      late.push(...(await Promise.all(down.map((port) => startRedis({ port })))));
      await masters[0]!.kill();
      await masters[1]!.kill();
      // Only master 2 and the two late ones are up: granted once the late ones have joined.
      let after: Lease | undefined;
      await untilAnswers(async () => {
        after = await baton.lock('partial', { ttlMs: 10_000 }).acquire({ waitMs: 0 });
      });
      expect(after!.fence).toBeGreaterThan(lease.fence);
      expect(await after!.release()).toBe(true);
    } finally {
      await baton.close();
    }
  }, 60_000);
});

describe('redlock: dicts on a bare redlock:// URL', () => {
  let masters: RedisHandle[] = [];
  beforeAll(async () => {
    masters = await startMasters(3);
  });
  afterAll(async () => {
    await stopMasters(masters);
  });

  it('every dict call is UnsupportedError showing the composed form; locks and ping work', async () => {
    const baton = await connect(redlockUrl(masters, { prefix: randomPrefix() }));
    try {
      await baton.ping();
      const d = baton.dict<number>('jobs');
      const calls: Array<() => Promise<unknown>> = [
        () => d.get('k'),
        () => d.set('k', 1),
        () => d.incr('k'),
        () => d.delete('k'),
        () => d.keys(),
        () => d.size(),
        async () => {
          for await (const _ of d.watch()) break;
        },
      ];
      for (const call of calls) {
        const err = await call().catch((e: unknown) => e);
        expect(err).toBeInstanceOf(UnsupportedError);
        expect(String(err)).toMatch(/connect\(\{ locks: 'redlock:\/\/.*', dicts: 'redis:\/\/.*' \}\)/);
      }
      const lease = await baton.lock('still-works').acquire({ waitMs: 0 });
      expect(await lease.release()).toBe(true);
    } finally {
      await baton.close();
    }
  });
});
