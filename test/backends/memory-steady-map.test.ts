/**
 * SteadyMap (the memory store's tombstoning Map) behaves like a Map for every sequence of
 * operations, across compactions: checked against a real Map with fast-check. Its speed is
 * measured in B7 (`npm run bench -- B7`), not here.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SteadyMap } from '../../src/backends/memory/steady-map.js';

type Op =
  | { kind: 'set'; key: number; value: number | undefined }
  | { kind: 'delete'; key: number }
  | { kind: 'clear' };

// 301 keys drawn evenly, so sets often re-add a deleted key; twice as many deletes as sets and a
// rare clear, so tombstones outnumber live entries and compactions happen in every run.
const key = fc.noBias(fc.integer({ min: 0, max: 300 }));
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 100,
    arbitrary: fc.record({
      kind: fc.constant('set' as const),
      key,
      value: fc.option(fc.integer(), { nil: undefined }),
    }),
  },
  { weight: 200, arbitrary: fc.record({ kind: fc.constant('delete' as const), key }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'clear' as const }) },
);

function sameAs(steady: SteadyMap<number, number | undefined>, model: Map<number, number | undefined>) {
  expect(steady.size).toBe(model.size);
  const sorted = (it: Iterable<[number, number | undefined]>) => [...it].sort((a, b) => a[0] - b[0]);
  expect(sorted(steady)).toEqual(sorted(model));
  expect([...steady.keys()].sort((a, b) => a - b)).toEqual([...model.keys()].sort((a, b) => a - b));
  expect([...steady.values()].length).toBe(model.size);
  for (let k = 0; k <= 300; k++) {
    expect(steady.has(k)).toBe(model.has(k));
    expect(steady.get(k)).toBe(model.get(k));
  }
}

describe('SteadyMap', () => {
  it('answers like a Map after any sequence of set, delete and clear', () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 1000, maxLength: 3000 }), (ops) => {
        const steady = new SteadyMap<number, number | undefined>();
        const model = new Map<number, number | undefined>();
        for (const o of ops) {
          if (o.kind === 'set') {
            expect(steady.set(o.key, o.value)).toBe(steady);
            model.set(o.key, o.value);
          } else if (o.kind === 'delete') {
            expect(steady.delete(o.key)).toBe(model.delete(o.key));
          } else {
            steady.clear();
            model.clear();
          }
        }
        sameAs(steady, model);
      }),
      { numRuns: 100, endOnFailure: true }, // shrinking thousands of ops takes minutes
    );
  });

  it('keeps an entry whose value is undefined, and deleting it twice answers true then false', () => {
    const m = new SteadyMap<string, undefined>();
    m.set('a', undefined);
    expect(m.has('a')).toBe(true);
    expect(m.size).toBe(1);
    expect(m.delete('a')).toBe(true);
    expect(m.delete('a')).toBe(false);
    expect(m.has('a')).toBe(false);
    expect(m.size).toBe(0);
  });

  it('keeps every live entry through compactions (three of four keys deleted, then re-added)', () => {
    const m = new SteadyMap<number, number>();
    const kept = (i: number) => i % 4 === 3;
    for (let i = 0; i < 10_000; i++) m.set(i, i);
    for (let i = 0; i < 10_000; i++) if (!kept(i)) m.delete(i);
    expect(m.size).toBe(2_500);
    expect([...m.keys()].every(kept)).toBe(true);
    for (let i = 0; i < 10_000; i++) expect(m.get(i)).toBe(kept(i) ? i : undefined);
    for (let i = 0; i < 10_000; i++) if (!kept(i)) m.set(i, -i);
    expect(m.size).toBe(10_000);
    for (let i = 0; i < 10_000; i++) expect(m.get(i)).toBe(kept(i) ? i : -i);
  });
});
