/**
 * Basic dict operations: get / has / getEntry on absent keys, set and read back every JSON kind
 * (from another client, as fresh copies), versions that increase with every change, delete,
 * setIfAbsent (returns what is stored; atomic under contention) and pop (atomic: of many
 * concurrent pops exactly one gets the value), and separate dicts being separate.
 */
import { describe, expect, it } from 'vitest';
import type { JsonValue } from '../../src/index.js';
import { type Harness, uniqueName, useClients } from './harness.js';

const SAMPLES: ReadonlyArray<[string, JsonValue]> = [
  ['null', null],
  ['true', true],
  ['false', false],
  ['zero', 0],
  ['negative', -1.5],
  ['big', Number.MAX_SAFE_INTEGER],
  ['empty-string', ''],
  ['string', 'hello, wörld ✓ 🚀'],
  ['json-looking', '{"a":1}'],
  ['empty-array', []],
  ['empty-object', {}],
  ['nested', { a: [1, { b: null, c: 'x' }], d: { e: { f: [true, false] } } }],
];

/** dictBasicTests registers the basic dict tests. */
export function dictBasicTests(h: Harness): void {
  describe('dict: basic operations', () => {
    const clients = useClients(h);

    it('a dict never written is empty: version 0, nothing to get, has, pop or delete', async () => {
      const [a] = await clients.many(1);
      const d = a.dict(uniqueName('dict'));
      expect(await d.get('k')).toBeUndefined();
      expect(await d.getEntry('k')).toBeUndefined();
      expect(await d.has('k')).toBe(false);
      expect(await d.size()).toBe(0);
      expect(await d.keys()).toEqual([]);
      expect(await d.version()).toBe(0);
      expect(await d.pop('k')).toBeUndefined();
      expect(await d.delete('k')).toBe(false);
      expect(await d.size()).toBe(0);
    });

    it('set stores every JSON kind; another client reads it back equal, as a fresh copy', async () => {
      const [a, b] = await clients.many(2);
      const name = uniqueName('dict');
      const da = a.dict<JsonValue>(name);
      const db = b.dict<JsonValue>(name);
      for (const [key, value] of SAMPLES) await da.set(key, value);
      for (const [key, value] of SAMPLES) {
        expect(await db.get(key), key).toEqual(value);
        expect(await db.has(key), key).toBe(true);
      }
      const copy = (await db.get('nested')) as { a: unknown[] };
      copy.a.push('mutated locally');
      expect(await db.get('nested')).toEqual(SAMPLES.find(([k]) => k === 'nested')![1]);
      expect(await db.size()).toBe(SAMPLES.length);
    });

    it('versions: each change gets a higher version; an entry’s version is its last change', async () => {
      const [a] = await clients.many(1);
      const d = a.dict<string>(uniqueName('dict'));
      const v1 = await d.set('a', 'one');
      expect(Number.isSafeInteger(v1) && v1 > 0).toBe(true);
      expect(await d.getEntry('a')).toMatchObject({ value: 'one', version: v1 });
      const v2 = await d.set('a', 'two');
      expect(v2).toBeGreaterThan(v1);
      const v3 = await d.set('b', 'bee');
      expect(v3).toBeGreaterThan(v2);
      expect(await d.getEntry('a')).toMatchObject({ value: 'two', version: v2 });
      expect(await d.getEntry('b')).toMatchObject({ value: 'bee', version: v3 });
      expect(await d.version()).toBeGreaterThanOrEqual(v3);
      await d.delete('b');
      const v4 = await d.version();
      expect(v4).toBeGreaterThan(v3);
      expect(await d.set('b', 'again')).toBeGreaterThan(v4);
    });

    it('delete removes an entry: true when it existed, false after', async () => {
      const [a, b] = await clients.many(2);
      const d = a.dict<number>(uniqueName('dict'));
      await d.set('k', 1);
      await d.set('keep', 2);
      expect(await b.dict(d.name).delete('k')).toBe(true);
      expect(await d.delete('k')).toBe(false);
      expect(await d.get('k')).toBeUndefined();
      expect(await d.getEntry('k')).toBeUndefined();
      expect(await d.has('k')).toBe(false);
      expect(await d.keys()).toEqual(['keep']);
    });

    it('setIfAbsent stores only when absent and returns the value that is stored', async () => {
      const [a] = await clients.many(1);
      const d = a.dict<{ n: number }>(uniqueName('dict'));
      expect(await d.setIfAbsent('k', { n: 1 })).toEqual({ n: 1 });
      const entry = await d.getEntry('k');
      expect(entry?.value).toEqual({ n: 1 });
      expect(await d.setIfAbsent('k', { n: 2 })).toEqual({ n: 1 });
      expect(await d.getEntry('k')).toEqual(entry); // not rewritten: same version
    });

    it('concurrent setIfAbsent from several clients: all see the one value that won', async () => {
      const batons = await clients.many(4);
      const name = uniqueName('dict');
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => batons[i % 4]!.dict<number>(name).setIfAbsent('k', i)),
      );
      const stored = await batons[0]!.dict<number>(name).get('k');
      expect(stored).toBeDefined();
      expect(results.every((r) => r === stored)).toBe(true);
    });

    it('pop returns the value and removes it; popping again returns undefined', async () => {
      const [a] = await clients.many(1);
      const d = a.dict<string[]>(uniqueName('dict'));
      await d.set('k', ['a', 'b']);
      expect(await d.pop('k')).toEqual(['a', 'b']);
      expect(await d.has('k')).toBe(false);
      expect(await d.pop('k')).toBeUndefined();
    });

    it('pop is atomic: of 20 concurrent pops on 4 clients exactly one gets the value', async () => {
      const batons = await clients.many(4);
      const name = uniqueName('dict');
      await batons[0]!.dict<string>(name).set('job', 'payload');
      const got = await Promise.all(
        Array.from({ length: 20 }, (_, i) => batons[i % 4]!.dict<string>(name).pop('job')),
      );
      expect(got.filter((v) => v !== undefined)).toEqual(['payload']);
      expect(await batons[1]!.dict(name).size()).toBe(0);
    });

    it('two dicts are separate: the same key holds different values', async () => {
      const [a] = await clients.many(1);
      const one = a.dict<string>(uniqueName('dict'));
      const two = a.dict<string>(uniqueName('dict'));
      await one.set('k', 'one');
      expect(await two.get('k')).toBeUndefined();
      await two.set('k', 'two');
      await one.clear();
      expect(await two.get('k')).toBe('two');
      expect(await one.size()).toBe(0);
    });
  });
}
