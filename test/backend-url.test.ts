/** parseBackendUrl accepts the multi-host URL forms every backend documents, and refuses non-URLs. */
import { randomUUID } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { parseBackendUrl } from '../src/backends/url.js';
import { connect, InvalidArgumentError } from '../src/index.js';

describe('parseBackendUrl', () => {
  it('keeps a comma-separated host list with ports, user info, path and query', () => {
    const u = parseBackendUrl('etcd://user:pw@h1:2379,h2:2379,[::1]:2379/x?prefix=p');
    expect(u.protocol).toBe('etcd:');
    expect(decodeURIComponent(u.host)).toBe('h1:2379,h2:2379,[::1]:2379');
    expect([u.username, u.password, u.pathname, u.searchParams.get('prefix')]).toEqual([
      'user',
      'pw',
      '/x',
      'p',
    ]);
  });

  it('leaves single-host URLs exactly as WHATWG parses them', () => {
    const u = parseBackendUrl('redis://127.0.0.1:6379/2');
    expect([u.hostname, u.port, u.pathname]).toEqual(['127.0.0.1', '6379', '/2']);
  });

  it.each([
    ['empty', ''],
    ['no scheme', 'not a url'],
    ['space in host', 'redis://a b'],
    ['over 4096 characters', `redis://${'x'.repeat(5000)}`],
  ])('refuses %s with InvalidArgumentError', (_what, text) => {
    expect(() => parseBackendUrl(text)).toThrow(InvalidArgumentError);
  });

  it('connect() takes a plain comma-separated host list (here: a redis cluster from the test setup)', async () => {
    const url = `${inject('redisClusterUrl')}?prefix=${randomUUID().slice(0, 8)}:`;
    expect(url).toMatch(/^redis\+cluster:\/\/127\.0\.0\.1:\d+,127\.0\.0\.1:\d+/);
    const baton = await connect(url);
    try {
      expect(await baton.dict('d').incr('k')).toBe(1);
    } finally {
      await baton.close();
    }
  });

  it('connect() names the known schemes for an unknown one', async () => {
    await expect(connect('nope://x')).rejects.toThrow(/unknown backend scheme "nope:".*memory:\/\//);
  });
});
