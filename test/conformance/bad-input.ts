/**
 * Bad names, keys and values: lock and dict names that are empty, over 200 characters or use
 * other characters; keys that are empty, hold NUL or a lone surrogate, exceed 1024 UTF-8 bytes or
 * are not strings; values JSON cannot hold faithfully (undefined, functions, symbols, BigInt,
 * NaN, ±Infinity, cycles, Map, Set, class instances — at the top level and nested). Each is
 * InvalidArgumentError (PayloadTooLargeError for a value over the 1 MiB limit), from every method
 * that takes it, and nothing is stored. The limits themselves are accepted.
 */
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_MAX_VALUE_BYTES,
  InvalidArgumentError,
  MAX_NAME_LENGTH,
  PayloadTooLargeError,
  type SharedDict,
} from '../../src/index.js';
import { bad, type Harness, lockTtl, rejection, snapshot, uniqueName, useClients } from './harness.js';

const BAD_NAMES: readonly unknown[] = [
  '',
  'a'.repeat(MAX_NAME_LENGTH + 1),
  'has space',
  'slash/name',
  'ünïcode',
  'tab\tname',
  'nul\u0000name',
  'star*',
  '🔒',
  123,
  null,
  undefined,
  {},
];

const BAD_KEYS: readonly unknown[] = [
  '',
  '\u0000',
  'a\u0000b',
  'a'.repeat(1025),
  '\ud800',
  'a\udc00b',
  1,
  null,
  undefined,
  {},
  ['a'],
];

function cyclicObject(): unknown {
  const o: Record<string, unknown> = { a: 1 };
  o.self = o;
  return o;
}

function cyclicArray(): unknown {
  const a: unknown[] = [1];
  a.push([a]);
  return a;
}

class Point {
  constructor(readonly x: number) {}
}

const BAD_VALUES: ReadonlyArray<[string, unknown]> = [
  ['undefined', undefined],
  ['function', () => 1],
  ['symbol', Symbol('s')],
  ['BigInt', 10n],
  ['NaN', Number.NaN],
  ['Infinity', Number.POSITIVE_INFINITY],
  ['-Infinity', Number.NEGATIVE_INFINITY],
  ['cyclic object', cyclicObject()],
  ['cyclic array', cyclicArray()],
  ['Map', new Map([['a', 1]])],
  ['Set', new Set([1])],
  ['class instance', new Point(1)],
  ['nested undefined', { a: { b: undefined } }],
  ['undefined in array', [1, undefined]],
  ['nested function', { a: [{ f: () => 1 }] }],
  ['nested symbol', [Symbol('s')]],
  ['nested BigInt', { n: 1n }],
  ['nested NaN', { n: [Number.NaN] }],
  ['nested Infinity', { n: Number.POSITIVE_INFINITY }],
  ['nested Map', { m: new Map() }],
];

/** expectInvalid expects `fn` to fail with InvalidArgumentError. */
async function expectInvalid(label: string, fn: () => unknown): Promise<void> {
  expect(await rejection(fn), label).toBeInstanceOf(InvalidArgumentError);
}

/** everyKeyedCall calls each dict method that takes a key with `key`. */
function everyKeyedCall(d: SharedDict<unknown>, key: string): Array<[string, () => unknown]> {
  return [
    ['get', () => d.get(key)],
    ['getEntry', () => d.getEntry(key)],
    ['has', () => d.has(key)],
    ['set', () => d.set(key, 1)],
    ['setIfAbsent', () => d.setIfAbsent(key, 1)],
    ['delete', () => d.delete(key)],
    ['pop', () => d.pop(key)],
    ['incr', () => d.incr(key, 1)],
    ['update', () => d.update(key, () => 1)],
    ['batch set', () => d.batch([{ op: 'set', key, value: 1 }])],
    ['batch delete', () => d.batch([{ op: 'delete', key }])],
  ];
}

/** badInputTests registers the bad name, key and value tests. */
export function badInputTests(h: Harness): void {
  describe('bad input: names, keys, values', () => {
    const clients = useClients(h);

    it('bad lock names are InvalidArgumentError; the 200-character limit is accepted', async () => {
      const [a] = await clients.many(1);
      for (const name of BAD_NAMES) {
        const label = JSON.stringify(name) ?? String(name);
        expect(() => a.lock(bad<string>(name)), label).toThrow(InvalidArgumentError);
        let called = false;
        await expectInvalid(label, () =>
          a.withLock(bad<string>(name), () => {
            called = true;
          }),
        );
        expect(called).toBe(false);
      }
      const longest = `${uniqueName('l')}.`.padEnd(MAX_NAME_LENGTH, 'x');
      const lease = await a.lock(longest, { ttlMs: lockTtl(a, 30_000) }).acquire();
      expect(await a.lock(uniqueName('A_z.0:9')).inspect()).toMatchObject({ held: false }); // every character class
      expect(await lease.release()).toBe(true);
    });

    it('bad dict names are InvalidArgumentError; the 200-character limit is accepted', async () => {
      const [a] = await clients.many(1);
      for (const name of BAD_NAMES) {
        expect(() => a.dict(bad<string>(name)), JSON.stringify(name) ?? String(name)).toThrow(
          InvalidArgumentError,
        );
      }
      const d = a.dict<number>(`${uniqueName('d')}.`.padEnd(MAX_NAME_LENGTH, 'x'));
      await d.set('k', 1);
      expect(await d.get('k')).toBe(1);
    });

    it('bad keys are InvalidArgumentError from every method, and nothing is stored', async () => {
      const [a] = await clients.many(1);
      const d = a.dict<unknown>(uniqueName('dict'));
      for (const key of BAD_KEYS) {
        for (const [what, call] of everyKeyedCall(d, bad<string>(key))) {
          await expectInvalid(`${what}(${JSON.stringify(key) ?? String(key)})`, call);
        }
      }
      await expectInvalid('batch with one bad key', () =>
        d.batch([
          { op: 'set', key: 'good', value: 1 },
          { op: 'set', key: '', value: 2 },
        ]),
      );
      expect(await snapshot(d)).toEqual({ version: 0, size: 0, entries: [] });
    });

    it('values JSON cannot hold are InvalidArgumentError, at the top level and nested, and nothing is stored', async () => {
      const [a] = await clients.many(1);
      const d = a.dict<unknown>(uniqueName('dict'));
      for (const [label, value] of BAD_VALUES) {
        await expectInvalid(`set ${label}`, () => d.set('k', value));
        await expectInvalid(`setIfAbsent ${label}`, () => d.setIfAbsent('k', value));
        await expectInvalid(`update ${label}`, () => d.update('k', () => value));
        await expectInvalid(`batch ${label}`, () =>
          d.batch([
            { op: 'set', key: 'ok', value: 1 },
            { op: 'set', key: 'k', value },
          ]),
        );
      }
      expect(await snapshot(d)).toEqual({ version: 0, size: 0, entries: [] });
    });

    it('a value over 1 MiB encoded is PayloadTooLargeError; exactly 1 MiB is stored', async () => {
      const [a] = await clients.many(1);
      const d = a.dict<unknown>(uniqueName('dict'));
      const tooBig = 'x'.repeat(DEFAULT_MAX_VALUE_BYTES - 1); // plus two quotes: one byte over
      const tooBigError = (e: unknown) => expect(e).toBeInstanceOf(PayloadTooLargeError);
      tooBigError(await rejection(() => d.set('k', tooBig)));
      tooBigError(await rejection(() => d.setIfAbsent('k', tooBig)));
      tooBigError(await rejection(() => d.update('k', () => ({ s: tooBig }))));
      tooBigError(await rejection(() => d.batch([{ op: 'set', key: 'k', value: tooBig }])));
      expect(await snapshot(d)).toEqual({ version: 0, size: 0, entries: [] });
      const justFits = 'y'.repeat(DEFAULT_MAX_VALUE_BYTES - 2);
      await d.set('k', justFits);
      expect(await d.get('k')).toBe(justFits);
    });
  });
}
