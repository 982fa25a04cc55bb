/**
 * The near cache's promises (`baton.dict(name, { cache })`), on any backend: bad options are
 * refused with InvalidArgumentError; handles of one dict on one client share one cache; and a
 * history under another client's writes where this client reads from several callers and writes
 * its own key, checked afterwards against every write the writer had acknowledged:
 * read-your-writes, monotonic reads (per key and across keys), bounded staleness (once the
 * cache's watch has delivered a version, reads show it), values only ever ones that were written.
 * Entries with a TTL are never kept, so none is served past its expiry; close stops the watch.
 */
import { describe, expect, it } from 'vitest';
import { type Baton, InvalidArgumentError, MAX_CACHE_ENTRIES, type SharedDict } from '../../src/index.js';
import {
  bad,
  entryTtl,
  eventually,
  type Harness,
  rejection,
  SLACK_MS,
  uniqueName,
  useClients,
} from './harness.js';

const CACHE = { maxEntries: 16 } as const;
const KEYS = ['k0', 'k1', 'k2', 'k3'] as const;
const WRITES = 60;
const READERS = 4;
/** CHECK_EVERY: every so many writes the writer waits for the cache's watch to deliver, then reads. */
const CHECK_EVERY = 10;

/** Written is one acknowledged write. */
interface Written {
  readonly version: number;
  readonly value: number;
}

/** Read is one read by a reader loop: what it returned, and the highest version that loop knew before it began. */
interface Read {
  readonly key: string;
  readonly version: number;
  readonly value: number;
  readonly knownBefore: number;
}

/** warm reads `key` until one read is answered from memory (the watch runs and the entry is kept). */
async function warm(d: SharedDict<number>, key: string): Promise<void> {
  await eventually(
    async () => {
      const before = d.cacheStats()!.hits;
      await d.get(key);
      return d.cacheStats()!.hits > before;
    },
    SLACK_MS * 2,
    'a cache hit',
  );
}

/** nearCacheTests registers the near cache tests. */
export function nearCacheTests(h: Harness): void {
  describe('dict: near cache', () => {
    const clients = useClients(h);

    it('bad cache options are refused with InvalidArgumentError and start nothing', async () => {
      const a: Baton = await clients.one();
      const name = uniqueName('dict');
      const bads: unknown[] = [
        null,
        7,
        [],
        {},
        { maxEntries: 0 },
        { maxEntries: -1 },
        { maxEntries: 1.5 },
        { maxEntries: '10' },
        { maxEntries: MAX_CACHE_ENTRIES + 1 },
        { maxEntries: 10, ttl: 5 },
      ];
      for (const cache of bads) {
        const err = await rejection(() => a.dict(name, { cache: bad(cache) }));
        expect(err, JSON.stringify(cache)).toBeInstanceOf(InvalidArgumentError);
      }
      expect(await rejection(() => a.dict(name, bad({ cach: CACHE })))).toBeInstanceOf(InvalidArgumentError);
      expect(await rejection(() => a.dict(name, bad(null)))).toBeInstanceOf(InvalidArgumentError);
      const d = a.dict<number>(name, { cache: CACHE });
      // One cache per dict per client: another size for the same dict is refused.
      expect(await rejection(() => a.dict(name, { cache: { maxEntries: 17 } }))).toBeInstanceOf(
        InvalidArgumentError,
      );
      expect(d.cacheStats()).toMatchObject({ entries: 0, hits: 0, misses: 0, watching: false });
      expect(a.dict(name).cacheStats()).toBeUndefined();
    });

    it('handles of one dict share one cache; a write through any handle is read back; close stops the watch', async () => {
      const a = await clients.one();
      const name = uniqueName('dict');
      const d1 = a.dict<number>(name, { cache: CACHE });
      const d2 = a.dict<number>(name, { cache: CACHE });
      const plain = a.dict<number>(name);
      await d1.set('k', 1);
      await warm(d1, 'k');
      const hits = d1.cacheStats()!.hits;
      expect(await d2.get('k')).toBe(1);
      expect(d1.cacheStats()!.hits).toBe(hits + 1); // d2's read was d1's cache
      await plain.set('k', 2); // a handle without the cache still invalidates it
      expect(await d2.get('k')).toBe(2);
      await d2.delete('k');
      expect(await d1.get('k')).toBeUndefined();
      expect(await d1.has('k')).toBe(false);
      await a.close();
      expect(d1.cacheStats()).toMatchObject({ entries: 0, watching: false });
    });

    it('never keeps an entry with a TTL, so none is served past its expiry', async () => {
      const [a, b] = await clients.many(2);
      const name = uniqueName('dict');
      const d = a.dict<number>(name, { cache: CACHE });
      await b.dict<number>(name).set('plain', 1);
      await warm(d, 'plain');
      const ttlMs = entryTtl(a, 300);
      const v = await b.dict<number>(name).set('plain', 2, { ttlMs });
      await eventually(
        async () => d.cacheStats()!.appliedVersion >= v,
        SLACK_MS * 2,
        'the TTL write delivered',
      );
      const e = await d.getEntry('plain');
      expect(e).toMatchObject({ value: 2, version: v });
      expect(e!.expiresAt).toBeGreaterThan(0);
      expect(d.cacheStats()!.entries).toBe(0);
      // Every read of it goes to the store, which never returns an expired entry.
      await eventually(async () => (await d.get('plain')) === undefined, ttlMs * 10 + SLACK_MS, 'expiry');
    });

    it('under another client’s writes: read-your-writes, monotonic reads, bounded staleness, only written values', {
      timeout: 60_000,
    }, async () => {
      const [wc, rc] = await clients.many(2);
      const name = uniqueName('dict');
      const w = wc.dict<number>(name);
      const r = rc.dict<number>(name, { cache: CACHE });
      const written = new Map<string, Written[]>(KEYS.map((k) => [k, []]));
      for (const k of KEYS) written.get(k)!.push({ version: await w.set(k, 0), value: 0 });
      await warm(r, 'k0');

      let writing = true;
      let staleChecks = 0;
      const writer = (async () => {
        try {
          for (let i = 1; i <= WRITES; i++) {
            const key = KEYS[i % KEYS.length]!;
            const version = await w.set(key, i);
            written.get(key)!.push({ version, value: i });
            if (i % CHECK_EVERY === 0) {
              // Bounded staleness: once the cache's watch has delivered the version, reads show it.
              await eventually(
                async () => r.cacheStats()!.appliedVersion >= version,
                SLACK_MS * 2,
                `the cache's watch delivering version ${version}`,
              );
              const seen = await r.getEntry(key);
              expect(seen!.version, `after version ${version} was delivered`).toBeGreaterThanOrEqual(version);
              staleChecks++;
            }
          }
        } finally {
          writing = false;
        }
      })();

      const readers = Array.from({ length: READERS }, async (_, n) => {
        const reads: Read[] = [];
        let known = 0;
        for (let i = 0; writing || i < 20; i++) {
          if (n === 0 && i % 5 === 0) {
            // Read-your-writes: this client's own write is what its next read returns.
            const version = await r.set('mine', i);
            const e = await r.getEntry('mine');
            expect(e, 'read-your-writes').toEqual({ value: i, version, expiresAt: undefined });
            known = Math.max(known, version);
          }
          const key = KEYS[(i + n) % KEYS.length]!;
          const e = await r.getEntry(key);
          reads.push({ key, version: e!.version, value: e!.value, knownBefore: known });
          known = Math.max(known, e!.version);
        }
        return reads;
      });
      await writer;
      const all = await Promise.all(readers);
      expect(staleChecks).toBe(Math.floor(WRITES / CHECK_EVERY));

      for (const reads of all) {
        const last = new Map<string, number>();
        for (const read of reads) {
          const history = written.get(read.key)!;
          // Only written values: the version and value are one acknowledged write.
          expect(history, `${read.key}@${read.version}`).toContainEqual({
            version: read.version,
            value: read.value,
          });
          // Monotonic per key: never an older version of a key than this caller saw before.
          expect(read.version, `${read.key} went back`).toBeGreaterThanOrEqual(last.get(read.key) ?? 0);
          last.set(read.key, read.version);
          // Monotonic across keys: no write of this key at or below what the caller already knew was missed.
          const missed = history.find((x) => x.version > read.version && x.version <= read.knownBefore);
          expect(
            missed,
            `${read.key}@${read.version} read after knowing version ${read.knownBefore}`,
          ).toBeUndefined();
        }
      }
      // The reads were served from memory, not all from the store.
      expect(r.cacheStats()!.hits).toBeGreaterThan(0);
    });
  });
}
