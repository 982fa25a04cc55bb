/**
 * Fenced writes: a stale holder's write is refused with StaleFenceError once a newer holder has
 * written, and the newer value stays; every kind of write (set, delete, incr, batch,
 * setIfAbsent, pop, update) is fenced and changes nothing when refused; the plain
 * `{ lock, fence }` form works and is tracked per dict and per lock; and, where the store has the
 * ownership guard, a lease that no longer holds its lock cannot write even before anyone else
 * takes the lock.
 */
import { describe, expect, it } from 'vitest';
import { type FenceSource, type SharedDict, StaleFenceError } from '../../src/index.js';
import {
  abortedWith,
  eventually,
  type Harness,
  LONG_TEST_MS,
  lockTtl,
  outlasting,
  rejection,
  SLACK_MS,
  snapshot,
  uniqueName,
  useClients,
  within,
} from './harness.js';

/** expectAllRefused runs each kind of write with `fence` and expects StaleFenceError from every one. */
async function expectAllRefused(d: SharedDict<unknown>, fence: FenceSource): Promise<void> {
  const writes: Array<[string, () => unknown]> = [
    ['set', () => d.set('x', 'stale', { fence })],
    ['delete', () => d.delete('x', { fence })],
    ['incr', () => d.incr('n', 1, { fence })],
    ['batch', () => d.batch([{ op: 'set', key: 'y', value: 'stale' }], { fence })],
    ['setIfAbsent', () => d.setIfAbsent('absent', 'stale', { fence })],
    ['pop', () => d.pop('x', { fence })],
    ['update', () => d.update('x', () => 'stale', { fence })],
  ];
  for (const [what, write] of writes) {
    const err = await rejection(write);
    expect(err, what).toBeInstanceOf(StaleFenceError);
    expect(err, what).toMatchObject({ code: 'stale_fence' });
  }
}

/** fencedWriteTests registers the fenced-write tests. */
export function fencedWriteTests(h: Harness): void {
  describe('dict: fenced writes', () => {
    const clients = useClients(h);

    it(
      'a stale holder’s write is refused after a newer holder wrote, and the newer value stays',
      async () => {
        const [a, b] = await clients.many(2);
        const lockName = uniqueName('lock');
        const da = a.dict<string>(uniqueName('dict'));
        const db = b.dict<string>(da.name);
        // the first write must land while the short lease lives (a stall may outlast it: retried)
        const [old, ttlMs] = await outlasting(lockTtl(a, 300), async (ttlMs) => {
          const old = await a.lock(lockName, { ttlMs }).acquire();
          await da.set('k', 'old-1', { fence: old });
          return [old, ttlMs] as const;
        });
        await within(abortedWith(old.signal), 10 * ttlMs + SLACK_MS, 'old lease expiry');
        const fresh = await b
          .lock(lockName, { ttlMs: lockTtl(b, 60_000) })
          .acquire({ waitMs: 10 * ttlMs + SLACK_MS });
        await db.set('k', 'new', { fence: fresh });
        const err = await rejection(() => da.set('k', 'old-2', { fence: old }));
        expect(err).toBeInstanceOf(StaleFenceError);
        expect(err).toMatchObject({ lock: lockName, fence: old.fence });
        expect(await da.get('k')).toBe('new');
        await fresh.release();
      },
      LONG_TEST_MS,
    );

    it('every kind of write with a stale { lock, fence } is refused and changes nothing', async () => {
      const [a, b] = await clients.many(2);
      const lockName = uniqueName('lock');
      const ttlMs = lockTtl(a, 30_000);
      const old = await a.lock(lockName, { ttlMs }).acquire();
      await old.release();
      const fresh = await b.lock(lockName, { ttlMs }).acquire();
      const d = b.dict<unknown>(uniqueName('dict'));
      await d.set('x', 'fresh', { fence: fresh });
      await d.set('n', 1, { fence: fresh });
      const before = await snapshot(d);
      await expectAllRefused(a.dict(d.name), { lock: lockName, fence: old.fence });
      expect(await snapshot(d)).toEqual(before);
      await fresh.release();
    });

    it('the plain { lock, fence } form: equal or higher fences pass, lower ones fail, per dict and per lock', async () => {
      const [a] = await clients.many(1);
      const lock = uniqueName('lock');
      const ttlMs = lockTtl(a, 30_000);
      // Three real grants of one lock: only issued fences are accepted (forged-fence.ts).
      const fences: number[] = [];
      for (let i = 0; i < 3; i++) {
        const lease = await a.lock(lock, { ttlMs }).acquire();
        fences.push(lease.fence);
        await lease.release();
      }
      const [f1, f2, f3] = fences as [number, number, number];
      const other = await a.lock(uniqueName('lock'), { ttlMs }).acquire();
      const d1 = a.dict<number>(uniqueName('dict'));
      const d2 = a.dict<number>(uniqueName('dict'));
      await d1.set('k', 2, { fence: { lock, fence: f2 } });
      expect(await rejection(() => d1.set('k', 1, { fence: { lock, fence: f1 } }))).toBeInstanceOf(
        StaleFenceError,
      );
      await d1.set('k', 22, { fence: { lock, fence: f2 } }); // the same holder writes again
      await d1.set('k', 3, { fence: { lock, fence: f3 } });
      expect(await rejection(() => d1.set('k', 2, { fence: { lock, fence: f2 } }))).toBeInstanceOf(
        StaleFenceError,
      );
      expect(await d1.get('k')).toBe(3);
      await d2.set('k', 1, { fence: { lock, fence: f1 } }); // another dict has its own fence table
      await d1.set('other', 1, { fence: { lock: other.name, fence: other.fence } }); // another lock too
      await d1.set('k', 7); // unfenced writes are not fenced
      expect(await d1.get('k')).toBe(7);
      expect(await d2.get('k')).toBe(1);
      await other.release();
    });

    it('the holder’s own fenced writes of every kind are accepted', async () => {
      const [a] = await clients.many(1);
      const lease = await a.lock(uniqueName('lock'), { ttlMs: lockTtl(a, 30_000) }).acquire();
      const d = a.dict<unknown>(uniqueName('dict'));
      const fence = lease;
      await d.set('x', 1, { fence });
      expect(await d.incr('x', 2, { fence })).toBe(3);
      expect(await d.update('x', (v) => (v as number) * 10, { fence })).toBe(30);
      expect(await d.setIfAbsent('y', 'y', { fence })).toBe('y');
      await d.batch(
        [
          { op: 'set', key: 'z', value: 'z' },
          { op: 'delete', key: 'y' },
        ],
        { fence },
      );
      expect(await d.pop('z', { fence })).toBe('z');
      expect(await d.delete('x', { fence })).toBe(true);
      expect(await d.size()).toBe(0);
      await lease.release();
    });

    it('ownership guard: a released lease cannot write, even before anyone else holds the lock', async (ctx) => {
      const [a] = await clients.many(1);
      if (!a.capabilities.dicts.ownershipGuard)
        ctx.skip(`${h.name}: capabilities.dicts.ownershipGuard is false`);
      const lease = await a.lock(uniqueName('lock'), { ttlMs: lockTtl(a, 30_000) }).acquire();
      const d = a.dict<unknown>(uniqueName('dict'));
      await d.set('x', 'held', { fence: lease });
      await d.set('n', 1, { fence: lease });
      await lease.release();
      const before = await snapshot(d);
      await expectAllRefused(d, lease);
      expect(await snapshot(d)).toEqual(before);
    });

    it(
      'ownership guard: an expired lease cannot write, even before anyone else holds the lock',
      async (ctx) => {
        const [a, b] = await clients.many(2);
        if (!a.capabilities.dicts.ownershipGuard)
          ctx.skip(`${h.name}: capabilities.dicts.ownershipGuard is false`);
        const lockName = uniqueName('lock');
        const d = a.dict<unknown>(uniqueName('dict'));
        // the writes must land while the short lease lives (a stall may outlast it: retried)
        const [lease, ttlMs] = await outlasting(lockTtl(a, 300), async (ttlMs) => {
          const lease = await a.lock(lockName, { ttlMs }).acquire();
          await d.set('x', 'held', { fence: lease });
          await d.set('n', 1, { fence: lease });
          return [lease, ttlMs] as const;
        });
        await within(abortedWith(lease.signal), 10 * ttlMs + SLACK_MS, 'lease expiry');
        // The store's expiry follows the conservative local one; wait until the store agrees.
        await eventually(
          async () => !(await b.lock(lockName).inspect()).held,
          10 * ttlMs + SLACK_MS,
          'store-side expiry',
        );
        const before = await snapshot(d);
        await expectAllRefused(d, lease);
        expect(await snapshot(d)).toEqual(before);
        expect((await b.lock(lockName).inspect()).fence).toBe(lease.fence); // nobody else took it
      },
      LONG_TEST_MS,
    );
  });
}
