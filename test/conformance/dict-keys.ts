/**
 * Listing: `keys` (all, or under a prefix, also past one internal page), `entries` pages of at
 * most `limit` whose cursors visit every entry exactly once (also under a prefix), `size`, and
 * `clear` (empties the dict, takes a version, leaves it usable).
 */
import { describe, expect, it } from 'vitest';
import type { SharedDict } from '../../src/index.js';
import { type Harness, LONG_TEST_MS, uniqueName, useClients } from './harness.js';

const sorted = (keys: readonly string[]): string[] => [...keys].sort();

/** allPages reads every page of `entries` and checks each page's size and version. */
async function allPages(
  d: SharedDict<unknown>,
  limit: number,
  prefix?: string,
): Promise<Array<{ key: string; value: unknown; version: number }>> {
  const out: Array<{ key: string; value: unknown; version: number }> = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await d.entries({ limit, cursor, prefix });
    expect(page.entries.length).toBeLessThanOrEqual(limit);
    for (const e of page.entries) expect(page.version).toBeGreaterThanOrEqual(e.version);
    out.push(...page.entries);
    cursor = page.cursor;
    expect(++pages, 'pages should end').toBeLessThan(1_000);
  } while (cursor !== undefined);
  return out;
}

/** dictKeysTests registers the listing tests. */
export function dictKeysTests(h: Harness): void {
  describe('dict: keys, entries, size, clear', () => {
    const clients = useClients(h);

    it('keys lists every live key; a prefix selects keys starting with it', async () => {
      const [a, b] = await clients.many(2);
      const d = a.dict<number>(uniqueName('dict'));
      const all = ['a', 'ab', 'abc', 'a/x', 'b', 'ba', 'B', 'aa'];
      for (const [i, k] of all.entries()) await d.set(k, i);
      await d.set('deleted', 0);
      await d.delete('deleted');
      const other = b.dict<number>(d.name);
      expect(sorted(await other.keys())).toEqual(sorted(all));
      expect(sorted(await other.keys({ prefix: 'a' }))).toEqual(['a', 'a/x', 'aa', 'ab', 'abc']);
      expect(sorted(await other.keys({ prefix: 'ab' }))).toEqual(['ab', 'abc']);
      expect(await other.keys({ prefix: 'zzz' })).toEqual([]);
      expect(await other.size()).toBe(all.length);
    });

    it('entries pages (limit 10) visit every entry exactly once, with its value and version', async () => {
      const [a] = await clients.many(1);
      const d = a.dict<unknown>(uniqueName('dict'));
      const keys = Array.from({ length: 25 }, (_, i) => `key-${String(i).padStart(2, '0')}`);
      for (const k of keys) await d.set(k, { k });
      const got = await allPages(d, 10);
      expect(sorted(got.map((e) => e.key))).toEqual(keys);
      for (const e of got) {
        const entry = await d.getEntry(e.key);
        expect(e).toEqual({ key: e.key, value: { k: e.key }, version: entry!.version });
      }
      const one = await allPages(d, 1);
      expect(sorted(one.map((e) => e.key))).toEqual(keys);
      const page = await d.entries({ limit: 10 });
      expect(page.entries.length).toBeGreaterThan(0);
      expect(page.cursor).toBeDefined();
    });

    it('entries pages under a prefix visit exactly the keys with that prefix', async () => {
      const [a] = await clients.many(1);
      const d = a.dict<number>(uniqueName('dict'));
      const under = Array.from({ length: 12 }, (_, i) => `p/${i}`);
      for (const [i, k] of [...under, 'p', 'o/1', 'q/1', 'p0', 'P/1'].entries()) await d.set(k, i);
      const got = await allPages(d as SharedDict<unknown>, 5, 'p/');
      expect(sorted(got.map((e) => e.key))).toEqual(sorted(under));
      expect(await allPages(d as SharedDict<unknown>, 5, 'nothing/')).toEqual([]);
    });

    it(
      'keys and size see all of 1500 entries; entries() pages at most 100 by default',
      async () => {
        const [a] = await clients.many(1);
        const d = a.dict<number>(uniqueName('dict'));
        for (let start = 0; start < 1500; start += 100) {
          await d.batch(
            Array.from({ length: 100 }, (_, i) => ({ op: 'set', key: `k${start + i}`, value: i })),
          );
        }
        const keys = await d.keys();
        expect(keys).toHaveLength(1500);
        expect(new Set(keys).size).toBe(1500);
        expect(await d.size()).toBe(1500);
        const page = await d.entries();
        expect(page.entries.length).toBeGreaterThan(0);
        expect(page.entries.length).toBeLessThanOrEqual(100);
        expect(page.cursor).toBeDefined();
      },
      LONG_TEST_MS,
    );

    it('clear empties the dict as a new version and leaves it usable', async () => {
      const [a, b] = await clients.many(2);
      const d = a.dict<number>(uniqueName('dict'));
      await d.clear(); // clearing an empty dict is fine
      for (const k of ['x', 'y', 'z']) await d.set(k, 1);
      const before = await d.version();
      await b.dict(d.name).clear();
      expect(await d.version()).toBeGreaterThan(before);
      expect(await d.size()).toBe(0);
      expect(await d.keys()).toEqual([]);
      expect((await d.entries()).entries).toEqual([]);
      expect(await d.get('x')).toBeUndefined();
      await d.set('x', 2);
      expect(await d.keys()).toEqual(['x']);
      expect(await d.size()).toBe(1);
    });
  });
}
