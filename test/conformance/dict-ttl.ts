/**
 * Entry TTLs: a TTL'd entry shows its expiry and is readable until then; once its TTL has passed
 * it is never returned (get, has, getEntry, keys, entries, size) and counts as absent; its expiry
 * shows in watch as an 'expire' change, to a live watcher and to one reading history. `set`
 * without a TTL replaces the TTL, `incr` keeps it, and batch ops take their own TTL.
 */
import { describe, expect, it } from 'vitest';
import type { Baton, Change, SharedDict } from '../../src/index.js';
import {
  collect,
  entryTtl,
  type Harness,
  LONG_TEST_MS,
  SLACK_MS,
  sleep,
  uniqueName,
  useClients,
} from './harness.js';

/** pastExpiry sleeps until `ttlMs` after `startedAt` (performance.now) plus the TTL granularity and a margin. */
async function pastExpiry(b: Baton, startedAt: number, ttlMs: number): Promise<void> {
  const until = startedAt + ttlMs + b.capabilities.dicts.ttlGranularityMs + 50;
  await sleep(Math.max(0, until - performance.now())); // time passing is what is tested
}

/** expectGone checks that no read returns `key`. */
async function expectGone(d: SharedDict<unknown>, key: string): Promise<void> {
  expect(await d.get(key), `get ${key}`).toBeUndefined();
  expect(await d.has(key), `has ${key}`).toBe(false);
  expect(await d.getEntry(key), `getEntry ${key}`).toBeUndefined();
  expect(await d.keys(), `keys without ${key}`).not.toContain(key);
  expect(
    (await d.entries()).entries.map((e) => e.key),
    `entries without ${key}`,
  ).not.toContain(key);
}

/** dictTtlTests registers the entry-TTL tests. */
export function dictTtlTests(h: Harness): void {
  describe('dict: entry TTL', () => {
    const clients = useClients(h);

    it('a TTL’d entry shows its expiry and reads normally before it', async () => {
      const [a] = await clients.many(1);
      const d = a.dict<string>(uniqueName('dict'));
      const ttlMs = entryTtl(a, 60_000);
      const before = Date.now();
      await d.set('k', 'v', { ttlMs });
      const entry = await d.getEntry('k');
      expect(entry?.value).toBe('v');
      expect(entry!.expiresAt).toBeGreaterThan(before + ttlMs / 2);
      expect(entry!.expiresAt).toBeLessThanOrEqual(
        Date.now() + ttlMs + a.capabilities.dicts.ttlGranularityMs + 1_000,
      );
      await d.set('plain', 'p');
      expect((await d.getEntry('plain'))!.expiresAt).toBeUndefined();
    });

    it(
      'after its TTL an entry is never returned, counts as absent, and its expiry is in the watch history',
      async () => {
        const [a, b] = await clients.many(2);
        const d = a.dict<string>(uniqueName('dict'));
        const other = b.dict<string>(d.name);
        const ttlMs = entryTtl(a, 300);
        await d.set('stays', 's');
        const startedAt = performance.now();
        const setVersion = await d.set('k', 'v', { ttlMs });
        // Where the TTL is fine-grained, hold this process's timers back past the expiry (sleep
        // until just before it, then busy-wait), so no local timer can have removed the entry:
        // the store itself must refuse to return it. The reads below start synchronously.
        const granularity = a.capabilities.dicts.ttlGranularityMs;
        await sleep(startedAt + ttlMs - 20 - performance.now()); // nothing can have expired yet
        const until = startedAt + ttlMs + granularity + 50;
        if (granularity > 100) await sleep(until - performance.now());
        while (performance.now() < until) {
          // busy-wait on purpose: time passing with timers held back is what is tested
        }
        const reads = Promise.all([other.get('k'), other.has('k'), other.getEntry('k'), other.size()]);
        expect(await reads).toEqual([undefined, false, undefined, 1]);
        await expectGone(other, 'k');
        expect(await other.get('stays')).toBe('s');
        const changes = await collect<Change<string>>(
          (signal) => other.watch({ fromVersion: setVersion, signal }),
          1,
          SLACK_MS,
        );
        expect(changes[0]).toMatchObject({ type: 'expire', key: 'k' });
        expect(changes[0]!.version).toBeGreaterThan(setVersion);
        expect(await other.setIfAbsent('k', 'new')).toBe('new');
        expect(await other.get('k')).toBe('new');
      },
      LONG_TEST_MS,
    );

    it(
      'a live watcher sees the expiry as an expire change, after which the entry is gone',
      async () => {
        const [a, b] = await clients.many(2);
        const d = a.dict<string>(uniqueName('dict'));
        const ttlMs = entryTtl(a, 300);
        const setVersion = await d.set('k', 'v', { ttlMs });
        const changes = await collect<Change<string>>(
          (signal) => b.dict<string>(d.name).watch({ fromVersion: setVersion, signal }),
          1,
          10 * ttlMs + SLACK_MS,
        );
        expect(changes[0]).toMatchObject({ type: 'expire', key: 'k' });
        await expectGone(d, 'k');
        expect(await d.size()).toBe(0);
      },
      LONG_TEST_MS,
    );

    it(
      'set without a TTL replaces the TTL; incr keeps it; batch ops expire by their own TTL',
      async () => {
        const [a] = await clients.many(1);
        const d = a.dict<unknown>(uniqueName('dict'));
        let ttlMs = entryTtl(a, 300);
        await d.set('replaced', 1, { ttlMs });
        await d.set('replaced', 2);
        // incr must land while 'counter' is alive: on a busy CPU a stall can outlast a short TTL
        // (then incr starts a new counter at 1), so that attempt is retried with twice the TTL.
        for (;;) {
          await d.set('counter', 1, { ttlMs });
          const expiresAt = (await d.getEntry('counter'))?.expiresAt;
          const incremented = await d.incr('counter', 1);
          if (incremented === 2 && expiresAt !== undefined) {
            expect((await d.getEntry('counter'))?.expiresAt).toBe(expiresAt);
            break;
          }
          expect(ttlMs, 'incr landed after the counter expired, even with a long TTL').toBeLessThan(10_000);
          await d.delete('counter');
          ttlMs *= 2;
        }
        const startedAt = performance.now(); // before the last TTL'd write
        await d.batch([
          { op: 'set', key: 'batched', value: 'b', ttlMs },
          { op: 'set', key: 'batched-plain', value: 'p' },
        ]);
        await pastExpiry(a, startedAt, ttlMs);
        expect(await d.get('replaced')).toBe(2);
        await expectGone(d, 'counter');
        await expectGone(d, 'batched');
        expect((await d.keys()).sort()).toEqual(['batched-plain', 'replaced']);
        expect(await d.size()).toBe(2);
      },
      LONG_TEST_MS,
    );
  });
}
