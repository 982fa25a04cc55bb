/**
 * Compare-and-set: `ifVersion` on set and delete (n = only if the entry's version is n, 0 = only
 * if absent) refuses with VersionConflictError and changes nothing; `update(fn)` passes the
 * current value and entry, retries when another writer got in between (and gives up after
 * `maxAttempts`), adds up exactly under 100 concurrent increments from several clients, and
 * writes nothing when fn returns undefined or throws.
 */
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, VersionConflictError } from '../../src/index.js';
import { type Harness, LONG_TEST_MS, rejection, snapshot, uniqueName, useClients } from './harness.js';

/** dictCasTests registers the compare-and-set tests. */
export function dictCasTests(h: Harness): void {
  describe('dict: ifVersion and update(fn)', () => {
    const clients = useClients(h);

    it('set with ifVersion: the current version succeeds, a stale one conflicts and changes nothing', async () => {
      const [a, b] = await clients.many(2);
      const d = a.dict<string>(uniqueName('dict'));
      const v1 = await d.set('k', 'one');
      const v2 = await b.dict<string>(d.name).set('k', 'two', { ifVersion: v1 });
      expect(v2).toBeGreaterThan(v1);
      const before = await snapshot(d);
      const err = await rejection(() => d.set('k', 'stale', { ifVersion: v1 }));
      expect(err).toBeInstanceOf(VersionConflictError);
      expect(err).toMatchObject({ code: 'version_conflict', key: 'k' });
      expect(await snapshot(d)).toEqual(before);
      expect(await rejection(() => d.set('absent', 'x', { ifVersion: v2 }))).toBeInstanceOf(
        VersionConflictError,
      );
      expect(await d.has('absent')).toBe(false);
    });

    it('ifVersion 0 means only if absent', async () => {
      const [a] = await clients.many(1);
      const d = a.dict<number>(uniqueName('dict'));
      const v = await d.set('k', 1, { ifVersion: 0 });
      expect(await d.getEntry('k')).toMatchObject({ value: 1, version: v });
      const before = await snapshot(d);
      expect(await rejection(() => d.set('k', 2, { ifVersion: 0 }))).toBeInstanceOf(VersionConflictError);
      expect(await snapshot(d)).toEqual(before);
      await d.delete('k');
      await d.set('k', 3, { ifVersion: 0 }); // absent again after delete
      expect(await d.get('k')).toBe(3);
    });

    it('delete with ifVersion: a stale version conflicts and keeps the entry; the current one deletes', async () => {
      const [a] = await clients.many(1);
      const d = a.dict<string>(uniqueName('dict'));
      const v1 = await d.set('k', 'one');
      const v2 = await d.set('k', 'two');
      const before = await snapshot(d);
      expect(await rejection(() => d.delete('k', { ifVersion: v1 }))).toBeInstanceOf(VersionConflictError);
      expect(await snapshot(d)).toEqual(before);
      expect(await d.delete('k', { ifVersion: v2 })).toBe(true);
      expect(await d.has('k')).toBe(false);
    });

    it('update(fn) passes the current value and entry, stores what fn returns and resolves to it', async () => {
      const [a] = await clients.many(1);
      const d = a.dict<{ n: number }>(uniqueName('dict'));
      const seen: unknown[] = [];
      const first = await d.update('k', (cur, entry) => {
        seen.push([cur, entry]);
        return { n: 1 };
      });
      expect(first).toEqual({ n: 1 });
      expect(seen).toEqual([[undefined, undefined]]);
      const entry = await d.getEntry('k');
      const second = await d.update('k', (cur, e) => {
        expect(e).toMatchObject({ value: { n: 1 }, version: entry!.version });
        return { n: cur!.n + 1 };
      });
      expect(second).toEqual({ n: 2 });
      expect(await d.get('k')).toEqual({ n: 2 });
    });

    it('update(fn) runs fn again when another client changed the entry in between', async () => {
      const [a, b] = await clients.many(2);
      const d = a.dict<number>(uniqueName('dict'));
      const other = b.dict<number>(d.name);
      await d.set('k', 1);
      const inputs: Array<number | undefined> = [];
      const result = await d.update('k', async (cur) => {
        inputs.push(cur);
        if (inputs.length === 1) await other.set('k', 100); // someone else writes meanwhile
        return cur! + 1;
      });
      expect(inputs).toEqual([1, 100]);
      expect(result).toBe(101);
      expect(await d.get('k')).toBe(101);

      const err = await rejection(() =>
        d.update(
          'k',
          async (cur) => {
            await other.set('k', 500);
            return cur! + 1;
          },
          { maxAttempts: 1 },
        ),
      );
      expect(err).toBeInstanceOf(VersionConflictError);
      expect(await d.get('k')).toBe(500);
    });

    it(
      '100 concurrent update(fn) increments from 5 clients give exactly 100',
      async () => {
        const batons = await clients.many(5);
        const name = uniqueName('dict');
        await Promise.all(
          Array.from({ length: 100 }, (_, i) =>
            batons[i % 5]!.dict<number>(name).update('counter', (cur) => (cur ?? 0) + 1),
          ),
        );
        expect(await batons[0]!.dict<number>(name).get('counter')).toBe(100);
      },
      LONG_TEST_MS,
    );

    it('update(fn) returning undefined is InvalidArgumentError and writes nothing', async () => {
      const [a] = await clients.many(1);
      const d = a.dict<{ items: number[] }>(uniqueName('dict'));
      const err = await rejection(() =>
        d.update('absent', () => undefined as unknown as { items: number[] }),
      );
      expect(err).toBeInstanceOf(InvalidArgumentError);
      expect(await d.has('absent')).toBe(false);
      await d.set('k', { items: [1] });
      const before = await snapshot(d);
      const inPlace = await rejection(() =>
        d.update('k', (cur) => {
          cur!.items.push(2); // the Manager().dict() trap: mutating in place and returning nothing
          return undefined as unknown as { items: number[] };
        }),
      );
      expect(inPlace).toBeInstanceOf(InvalidArgumentError);
      expect(await snapshot(d)).toEqual(before);
    });

    it('update(fn) that throws rejects with that error and writes nothing', async () => {
      const [a] = await clients.many(1);
      const d = a.dict<number>(uniqueName('dict'));
      await d.set('k', 1);
      const before = await snapshot(d);
      const boom = new Error('fn failed');
      expect(
        await rejection(() =>
          d.update('k', () => {
            throw boom;
          }),
        ),
      ).toBe(boom);
      expect(await snapshot(d)).toEqual(before);
    });
  });
}
