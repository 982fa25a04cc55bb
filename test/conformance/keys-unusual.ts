/**
 * Unusual keys are ordinary keys: `__proto__`, `constructor`, `hasOwnProperty`, `toString`,
 * whitespace, dots, slashes, percent signs, emoji, look-alike Unicode (NFC vs NFD stay distinct)
 * and keys of exactly 1024 UTF-8 bytes all set, get, list, watch and delete like any other; 1025
 * bytes is refused. Values holding `__proto__` keys round-trip as data, and nothing ever reaches
 * `Object.prototype`.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Change, InvalidArgumentError, type JsonValue } from '../../src/index.js';
import { collect, type Harness, rejection, SLACK_MS, snapshot, uniqueName, useClients } from './harness.js';

/** UNUSUAL_KEYS are keys that break stores which map user keys onto objects, paths or URLs. */
export const UNUSUAL_KEYS: readonly string[] = [
  '__proto__',
  'constructor',
  'hasOwnProperty',
  'toString',
  'valueOf',
  'prototype',
  ' ',
  '  padded  ',
  'tab\there\nnewline',
  '.',
  '..',
  'a.b.c',
  '/',
  '/leading/slash',
  'a/b/../c',
  '%',
  '%2F',
  '%00',
  'a+b c',
  '*',
  '?q=1&r=2#frag',
  '{"json":1}',
  'emoji 🔑🎉',
  '\u00e9', // é, NFC
  'e\u0301', // é, NFD: a different key
  'a'.repeat(1024),
  `${'€'.repeat(341)}a`, // 3-byte characters: 1024 bytes
  '🔑'.repeat(256), // 4-byte characters: 1024 bytes
];

const TOO_LONG: readonly string[] = ['a'.repeat(1025), `${'€'.repeat(341)}ab`, `${'🔑'.repeat(256)}a`];

/** keysUnusualTests registers the unusual-key tests. */
export function keysUnusualTests(h: Harness): void {
  describe('dict: unusual keys', () => {
    const clients = useClients(h);
    let protoNames: string[] = [];
    beforeEach(() => {
      protoNames = Object.getOwnPropertyNames(Object.prototype).sort();
    });
    afterEach(() => {
      expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(protoNames);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(typeof Object.prototype.hasOwnProperty).toBe('function');
      expect(typeof Object.prototype.toString).toBe('function');
    });

    it('behave as ordinary keys for set, get, has, keys, entries, watch and delete', async () => {
      const [a, b] = await clients.many(2);
      const d = a.dict<JsonValue>(uniqueName('dict'));
      const other = b.dict<JsonValue>(d.name);
      const from = await d.version();
      for (const [i, key] of UNUSUAL_KEYS.entries()) await d.set(key, { i, key });
      for (const [i, key] of UNUSUAL_KEYS.entries()) {
        expect(await other.get(key), key).toEqual({ i, key });
        expect(await other.has(key), key).toBe(true);
        expect((await other.getEntry(key))?.value, key).toEqual({ i, key });
      }
      expect([...(await other.keys())].sort()).toEqual([...UNUSUAL_KEYS].sort());
      const listed = (await snapshot(other)).entries;
      expect(listed.map((e) => [e.key, e.value])).toEqual(
        [...UNUSUAL_KEYS].sort().map((key) => [key, { i: UNUSUAL_KEYS.indexOf(key), key }]),
      );
      expect(await other.size()).toBe(UNUSUAL_KEYS.length);
      const watched = await collect<Change<JsonValue>>(
        (signal) => other.watch({ fromVersion: from, signal }),
        UNUSUAL_KEYS.length,
        SLACK_MS,
      );
      expect(watched.map((c) => [c.type, c.key, c.value])).toEqual(
        UNUSUAL_KEYS.map((key, i) => ['set', key, { i, key }]),
      );
      for (const key of UNUSUAL_KEYS) expect(await other.delete(key), key).toBe(true);
      expect(await d.size()).toBe(0);
      expect(await d.get('__proto__')).toBeUndefined();
    });

    it('keys under an unusual prefix are listed by that prefix only', async () => {
      const [a] = await clients.many(1);
      const d = a.dict<number>(uniqueName('dict'));
      for (const key of ['__proto__', '__proto__/x', '%2F', '%2Fy', '🔑', '🔑🔑', 'e\u0301x', '\u00e9x']) {
        await d.set(key, 1);
      }
      expect([...(await d.keys({ prefix: '__proto__' }))].sort()).toEqual(['__proto__', '__proto__/x']);
      expect([...(await d.keys({ prefix: '%2F' }))].sort()).toEqual(['%2F', '%2Fy']);
      expect([...(await d.keys({ prefix: '🔑' }))].sort()).toEqual(['🔑', '🔑🔑']);
      expect(await d.keys({ prefix: 'e\u0301' })).toEqual(['e\u0301x']);
    });

    it('a key over 1024 UTF-8 bytes is refused with InvalidArgumentError and nothing is stored', async () => {
      const [a] = await clients.many(1);
      const d = a.dict<number>(uniqueName('dict'));
      for (const key of TOO_LONG) {
        expect(Buffer.byteLength(key)).toBe(1025);
        expect(await rejection(() => d.set(key, 1)), `${key.length} chars`).toBeInstanceOf(
          InvalidArgumentError,
        );
      }
      expect(await d.size()).toBe(0);
      expect(await d.version()).toBe(0);
    });

    it('values holding __proto__ and constructor keys round-trip as plain data', async () => {
      const [a, b] = await clients.many(2);
      const d = a.dict<JsonValue>(uniqueName('dict'));
      const text =
        '{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}},"a":[{"__proto__":1}]}';
      const value = JSON.parse(text) as JsonValue;
      await d.set('__proto__', value);
      await d.batch([{ op: 'set', key: 'constructor', value }]);
      expect(await d.setIfAbsent('hasOwnProperty', value)).toEqual(value);
      for (const key of ['__proto__', 'constructor', 'hasOwnProperty']) {
        const got = (await b.dict<JsonValue>(d.name).get(key)) as Record<string, unknown>;
        expect(JSON.stringify(got), key).toBe(text);
        expect(Object.hasOwn(got, '__proto__'), key).toBe(true);
        expect(Object.getPrototypeOf(got), key).toBe(Object.prototype);
        expect(got.polluted, key).toBeUndefined();
      }
      expect(await d.incr('toString', 2)).toBe(2);
      expect(await d.update('valueOf', (v) => ({ was: v ?? null }))).toEqual({ was: null });
      expect(await d.pop('__proto__')).toEqual(value);
      expect([...(await d.keys())].sort()).toEqual(['constructor', 'hasOwnProperty', 'toString', 'valueOf']);
    });
  });
}
