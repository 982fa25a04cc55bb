/**
 * Batches: sets and deletes applied together as one version (every changed entry and the watch
 * show that version); all or nothing — one failing `ifVersion`, wherever it is in the batch,
 * changes nothing; of concurrent batches conditioned on the same versions exactly one wins.
 */
import { describe, expect, it } from 'vitest';
import { type Change, VersionConflictError } from '../../src/index.js';
import { collect, type Harness, rejection, SLACK_MS, snapshot, uniqueName, useClients } from './harness.js';

/** dictBatchTests registers the batch tests. */
export function dictBatchTests(h: Harness): void {
  describe('dict: batch', () => {
    const clients = useClients(h);

    it('a batch applies its sets and deletes as one version, seen as one version by watch', async () => {
      const [a] = await clients.many(1);
      const d = a.dict<unknown>(uniqueName('dict'));
      await d.set('gone', 'x');
      const from = await d.version();
      const v = await d.batch([
        { op: 'set', key: 'a', value: 1 },
        { op: 'set', key: 'b', value: { x: [1, 2] } },
        { op: 'delete', key: 'gone' },
      ]);
      expect(v).toBeGreaterThan(from);
      expect(await d.getEntry('a')).toMatchObject({ value: 1, version: v });
      expect(await d.getEntry('b')).toMatchObject({ value: { x: [1, 2] }, version: v });
      expect(await d.has('gone')).toBe(false);
      const changes = await collect<Change<unknown>>(
        (signal) => d.watch({ fromVersion: from, signal }),
        3,
        SLACK_MS,
      );
      expect(changes.map((c) => c.version)).toEqual([v, v, v]);
      const byKey = (x: { key: string }, y: { key: string }) => (x.key < y.key ? -1 : 1);
      expect(changes.map(({ type, key, value }) => ({ type, key, value })).sort(byKey)).toEqual([
        { type: 'set', key: 'a', value: 1 },
        { type: 'set', key: 'b', value: { x: [1, 2] } },
        { type: 'delete', key: 'gone', value: undefined },
      ]);
      expect(await d.set('c', 3)).toBeGreaterThan(v);
    });

    it('a batch with one failing ifVersion changes nothing, wherever that op is', async () => {
      const [a] = await clients.many(1);
      const d = a.dict<string>(uniqueName('dict'));
      const v1 = await d.set('x', 'x1');
      await d.set('x', 'x2');
      const y = await d.set('y', 'y1');
      const before = await snapshot(d);
      const attempts = [
        [
          { op: 'set', key: 'new', value: 'n' },
          { op: 'delete', key: 'y', ifVersion: y },
          { op: 'set', key: 'x', value: 'x3', ifVersion: v1 },
        ],
        [
          { op: 'set', key: 'x', value: 'x3', ifVersion: v1 },
          { op: 'set', key: 'new', value: 'n' },
        ],
        [
          { op: 'set', key: 'new', value: 'n' },
          { op: 'set', key: 'y', value: 'y2', ifVersion: 0 },
        ],
        [
          { op: 'delete', key: 'y' },
          { op: 'delete', key: 'x', ifVersion: y + 1000 },
        ],
      ] as const;
      for (const ops of attempts) {
        const err = await rejection(() => d.batch(ops));
        expect(err, JSON.stringify(ops)).toBeInstanceOf(VersionConflictError);
        expect(await snapshot(d)).toEqual(before);
      }
    });

    it('batch ifVersion conditions that hold let it through (0 = absent, n = current version)', async () => {
      const [a] = await clients.many(1);
      const d = a.dict<string>(uniqueName('dict'));
      const vx = await d.set('x', 'x1');
      const v = await d.batch([
        { op: 'set', key: 'x', value: 'x2', ifVersion: vx },
        { op: 'set', key: 'fresh', value: 'f', ifVersion: 0 },
      ]);
      expect(await d.getEntry('x')).toMatchObject({ value: 'x2', version: v });
      expect(await d.getEntry('fresh')).toMatchObject({ value: 'f', version: v });
      await d.batch([{ op: 'delete', key: 'fresh', ifVersion: v }]);
      expect(await d.keys()).toEqual(['x']);
    });

    it('of 10 concurrent batches conditioned on the same versions, exactly one wins, whole', async () => {
      const batons = await clients.many(5);
      const name = uniqueName('dict');
      const d = batons[0]!.dict<number>(name);
      const va = await d.set('a', -1);
      const vb = await d.set('b', -1);
      const outcomes = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          batons[i % 5]!.dict<number>(name)
            .batch([
              { op: 'set', key: 'a', value: i, ifVersion: va },
              { op: 'set', key: 'b', value: i, ifVersion: vb },
            ])
            .then(
              () => 'won',
              (e: unknown) => (e instanceof VersionConflictError ? 'conflict' : e),
            ),
        ),
      );
      expect(outcomes.filter((o) => o === 'won')).toHaveLength(1);
      expect(outcomes.filter((o) => o === 'conflict')).toHaveLength(9);
      const winner = outcomes.indexOf('won');
      expect(await d.get('a')).toBe(winner);
      expect(await d.get('b')).toBe(winner);
    });
  });
}
