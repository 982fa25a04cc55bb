/**
 * incr: atomic number add (absent counts as 0), by integers, negatives and fractions; 100
 * concurrent increments from several clients give exactly 100 and each caller sees a distinct
 * result; a non-number entry is TypeMismatchError and an add that would overflow to Infinity is
 * InvalidArgumentError, both changing nothing.
 */
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, type JsonValue, TypeMismatchError } from '../../src/index.js';
import { type Harness, LONG_TEST_MS, rejection, snapshot, uniqueName, useClients } from './harness.js';

/** dictIncrTests registers the incr tests. */
export function dictIncrTests(h: Harness): void {
  describe('dict: incr', () => {
    const clients = useClients(h);

    it('incr adds to a number (absent counts as 0) and resolves to the new value', async () => {
      const [a, b] = await clients.many(2);
      const d = a.dict<number>(uniqueName('dict'));
      expect(await d.incr('n')).toBe(1);
      const v1 = (await d.getEntry('n'))!.version;
      expect(await d.incr('n', 5)).toBe(6);
      expect((await d.getEntry('n'))!.version).toBeGreaterThan(v1);
      expect(await d.incr('n', -2)).toBe(4);
      expect(await d.incr('n', 0.5)).toBe(4.5);
      expect(await b.dict<number>(d.name).get('n')).toBe(4.5);
      await d.set('m', 10);
      expect(await d.incr('m', 1)).toBe(11);
      expect(await d.incr('neg', -3)).toBe(-3);
    });

    it(
      '100 concurrent incr from 5 clients give exactly 100, on an absent and on an existing key',
      async () => {
        const batons = await clients.many(5);
        const name = uniqueName('dict');
        await batons[0]!.dict<number>(name).set('existing', 1000);
        const run = (key: string) =>
          Promise.all(Array.from({ length: 100 }, (_, i) => batons[i % 5]!.dict<number>(name).incr(key)));
        const [fresh, existing] = await Promise.all([run('absent'), run('existing')]);
        const d = batons[1]!.dict<number>(name);
        expect(await d.get('absent')).toBe(100);
        expect(await d.get('existing')).toBe(1100);
        // Each caller saw its own step: the results are 1..100 (and 1001..1100), each once.
        expect([...fresh].sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
        expect([...existing].sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1001));
      },
      LONG_TEST_MS,
    );

    it('incr on a value that is not a number is TypeMismatchError and changes nothing', async () => {
      const [a] = await clients.many(1);
      const d = a.dict<JsonValue>(uniqueName('dict'));
      const values: Array<[string, JsonValue]> = [
        ['string', 'five'],
        ['numeric-string', '5'],
        ['object', { n: 1 }],
        ['array', [1]],
        ['null', null],
        ['boolean', true],
      ];
      for (const [key, value] of values) await d.set(key, value);
      const before = await snapshot(d);
      for (const [key] of values) {
        const err = await rejection(() => d.incr(key, 1));
        expect(err, key).toBeInstanceOf(TypeMismatchError);
        expect(err, key).toMatchObject({ code: 'type_mismatch' });
      }
      expect(await snapshot(d)).toEqual(before);
    });

    it('incr that would overflow to Infinity is InvalidArgumentError and changes nothing', async () => {
      const [a] = await clients.many(1);
      const d = a.dict<number>(uniqueName('dict'));
      await d.set('big', Number.MAX_VALUE);
      const before = await snapshot(d);
      expect(await rejection(() => d.incr('big', Number.MAX_VALUE))).toBeInstanceOf(InvalidArgumentError);
      expect(await snapshot(d)).toEqual(before);
    });
  });
}
