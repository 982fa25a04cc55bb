/** parseRedisUrl: the URL forms and options of the Redis backend, and what it refuses. */
import { describe, expect, it } from 'vitest';
import { parseRedisUrl } from '../../src/backends/redis/url.js';
import { InvalidArgumentError } from '../../src/index.js';

const parse = (text: string) => parseRedisUrl(new URL(text));

describe('parseRedisUrl', () => {
  it('reads a single node with credentials, db and options', () => {
    const s = parse('redis://u%40x:p%3Aw@example.com:6380/3?prefix=app:&timeoutMs=250&history=50');
    expect(s).toMatchObject({
      mode: 'single',
      nodes: [{ host: 'example.com', port: 6380 }],
      db: 3,
      username: 'u@x',
      password: 'p:w',
      tls: false,
      prefix: 'app:',
      timeoutMs: 250,
      historyLimit: 50,
    });
  });

  it('defaults: port 6379, db 0, prefix baton:, timeout 5000, history 10 000; rediss means TLS', () => {
    expect(parse('redis://h')).toMatchObject({ nodes: [{ host: 'h', port: 6379 }], db: 0, prefix: 'baton:' });
    expect(parse('redis://h')).toMatchObject({ timeoutMs: 5000, historyLimit: 10_000 });
    expect(parse('rediss://h:1').tls).toBe(true);
    expect(parse('redis://[::1]:7000').nodes).toEqual([{ host: '::1', port: 7000 }]);
  });

  it('reads the expiry purge step and sweep interval, 0 turning the sweep off, and refuses bad ones', () => {
    expect(parse('redis://h')).toMatchObject({ expireBatch: 100, expireSweepMs: 1000 });
    expect(parse('redis://h?expireBatch=1000&expireSweepMs=0')).toMatchObject({
      expireBatch: 1000,
      expireSweepMs: 0,
    });
    for (const bad of [
      'redis://h?expireBatch=0',
      'redis://h?expireBatch=1001',
      'redis://h?expireBatch=2.5',
      'redis://h?expireSweepMs=-1',
      'redis://h?expireSweepMs=86400001',
      'redis://h?expireSweepMs=soon',
    ]) {
      expect(() => parse(bad), bad).toThrow(InvalidArgumentError);
    }
  });

  it('reads coalesce (1–1000, default 64) and refuses bad ones', () => {
    expect(parse('redis://h').coalesce).toBe(64);
    expect(parse('redis://h?coalesce=1').coalesce).toBe(1);
    expect(parse('redis://h?coalesce=1000').coalesce).toBe(1000);
    for (const bad of ['redis://h?coalesce=0', 'redis://h?coalesce=1001', 'redis://h?coalesce=many']) {
      expect(() => parse(bad), bad).toThrow(InvalidArgumentError);
    }
  });

  it('reads cluster seed nodes from the authority, nodes=, or a percent-encoded list', () => {
    const expected = [
      { host: 'a', port: 7000 },
      { host: 'b', port: 7001 },
      { host: 'c', port: 6379 },
    ];
    expect(parse('redis+cluster://a:7000?nodes=b:7001,c').nodes).toEqual(expected);
    expect(parse('redis+cluster://a%3A7000,b%3A7001,c').nodes).toEqual(expected);
    expect(parse('redis+cluster://a,b,c').nodes.map((n) => n.port)).toEqual([6379, 6379, 6379]);
    expect(parse('redis+cluster://a:7000?tls=true')).toMatchObject({ mode: 'cluster', tls: true });
  });

  it('reads sentinels and the master name', () => {
    const s = parse('redis+sentinel://:secret@s1/mymaster?sentinels=s2:26380&sentinelPassword=sp');
    expect(s).toMatchObject({ mode: 'sentinel', sentinelName: 'mymaster', sentinelPassword: 'sp' });
    expect(parse('redis+sentinel://s1%3A26379,s2/cache').nodes).toEqual([
      { host: 's1', port: 26379 },
      { host: 's2', port: 26379 },
    ]);
    expect(parse('redis+sentinel://s1/cache')).toMatchObject({ sentinelName: 'cache' });
    expect(parse('redis+sentinel://s1?name=other')).toMatchObject({ sentinelName: 'other' });
    expect(s).toMatchObject({ password: 'secret', nodes: [{ host: 's1' }, { host: 's2', port: 26380 }] });
  });

  it('refuses unknown options, bad numbers, braces in the prefix and several hosts for redis://', () => {
    for (const bad of [
      'redis://h?bogus=1',
      'redis://h?timeoutMs=0',
      'redis://h?history=1.5',
      'redis://h?prefix=a{b}',
      'redis://h/notadb',
      'redis://a,b',
      'redis+cluster://a/1',
      'redis://h?tls=yes',
    ]) {
      expect(() => parse(bad), bad).toThrow(InvalidArgumentError);
    }
  });
});
