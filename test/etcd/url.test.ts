/**
 * etcd URL parsing and the key layout: host lists in every accepted form, options, refusals,
 * and keys that keep dicts and locks apart whatever their names and keys.
 */
import { describe, expect, it } from 'vitest';
import { Keys, padFence, prefixEnd, tokenId } from '../../src/backends/etcd/keys.js';
import { parseEtcdUrl } from '../../src/backends/etcd/url.js';
import { parseBackendUrl } from '../../src/backends/url.js';
import { InvalidArgumentError } from '../../src/index.js';

const parse = (text: string, timeoutMs?: number) => parseEtcdUrl(new URL(text), { timeoutMs });

describe('etcd URL', () => {
  it('reads one host, a host list in endpoints=, and a percent-encoded host list', () => {
    expect(parse('etcd://127.0.0.1:2379').hosts).toEqual(['http://127.0.0.1:2379']);
    expect(parse('etcd://h1').hosts).toEqual(['http://h1:2379']);
    expect(parse('etcd://h1,h2,h3').hosts).toEqual(['http://h1:2379', 'http://h2:2379', 'http://h3:2379']);
    expect(parse('etcd://h1:1/?endpoints=h2:2,h3:3').hosts).toEqual([
      'http://h1:1',
      'http://h2:2',
      'http://h3:3',
    ]);
    expect(parse('etcd://h1%3A1,h2%3A2').hosts).toEqual(['http://h1:1', 'http://h2:2']);
    expect(parse('etcds://h1:1').hosts).toEqual(['https://h1:1']);
  });

  it('reads the documented multi-host form through the shared backend URL parser', () => {
    const url = parseBackendUrl('etcd://u:p@10.0.0.1:2379,10.0.0.2:2380,[::1]:2381/?prefix=x');
    expect(parseEtcdUrl(url, {})).toMatchObject({
      hosts: ['http://10.0.0.1:2379', 'http://10.0.0.2:2380', 'http://[::1]:2381'],
      prefix: 'x',
      auth: { username: 'u', password: 'p' },
    });
  });

  it('reads prefix, timeoutMs and credentials; the URL wins over the connect option', () => {
    const s = parse('etcd://u%40x:p%3Aw@h1/?prefix=app/one/&timeoutMs=1500', 9000);
    expect(s).toMatchObject({
      prefix: 'app/one',
      timeoutMs: 1500,
      auth: { username: 'u@x', password: 'p:w' },
    });
    expect(parse('etcd://h1', 7000)).toMatchObject({ prefix: 'baton', timeoutMs: 7000, auth: undefined });
    expect(parse('etcd://h1').timeoutMs).toBe(5000);
  });

  it('refuses unknown options, bad timeouts, bad hosts and TLS files without etcds://', () => {
    for (const bad of [
      'etcd://h1/?prefx=a',
      'etcd://h1/?timeoutMs=0',
      'etcd://h1/?timeoutMs=1.5',
      'etcd://h1/?prefix=',
      'etcd://h1/?endpoints=h2:x',
      'etcd://h1/?ca=/etc/hosts',
      'etcds://h1/?cert=/etc/hosts&key=/etc/hosts',
      'etcds://h1/?ca=/nonexistent/ca.pem',
    ]) {
      expect(() => parse(bad), bad).toThrow(InvalidArgumentError);
    }
  });
});

describe('etcd key layout', () => {
  const keys = new Keys('p');

  it('keeps dicts apart: no dict range holds another dict’s keys', () => {
    const a = keys.dictDir('a');
    const ab = keys.dictDir('ab');
    const nested = keys.dictDir('a/b'); // not a valid name, but escaped all the same
    const end = prefixEnd(a);
    for (const other of [ab, nested]) {
      expect(Buffer.compare(other, a) < 0 || Buffer.compare(other, end) >= 0).toBe(true);
    }
    expect(keys.entryKey('a', 'x/y').toString()).toBe('p/dicts/a/e/x/y');
  });

  it('orders fences numerically by bytes and never stores the token', () => {
    const sorted = [1, 9, 10, 99, 100, Number.MAX_SAFE_INTEGER].map(padFence);
    expect([...sorted].sort()).toEqual(sorted);
    const token = 'a'.repeat(32);
    expect(keys.lockKey('job', token).toString()).toBe(`p/locks/job/${tokenId(token)}`);
    expect(keys.lockKey('job', token).toString()).not.toContain(token);
    expect(keys.lockNameOf(keys.lockKey('a:b.c', token))).toBe('a:b.c');
  });

  it('prefixEnd is the first key after the prefix', () => {
    expect(prefixEnd(Buffer.from('ab'))).toEqual(Buffer.from('ac'));
    expect(prefixEnd(Buffer.from([0x61, 0xff]))).toEqual(Buffer.from('b'));
    expect(prefixEnd(Buffer.from([0xff]))).toEqual(Buffer.from([0]));
  });
});
