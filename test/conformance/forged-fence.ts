/**
 * Forged fences: a fenced write is accepted only with a fence that a grant of that lock (or
 * semaphore, or read-write lock) has issued. A fence above anything issued — sent by a client
 * that never held the lock — is refused with StaleFenceError `unissued_fence`, changes nothing
 * (in particular it does not raise the dict's recorded highest fence), and so the real holder's
 * fenced writes still succeed afterwards, also after the dict was cleared. Malformed fences
 * (0, negative, fractional, past the safe integers) are InvalidArgumentError.
 */
import { describe, expect, it, type TestContext } from 'vitest';
import {
  type Baton,
  type FenceSource,
  InvalidArgumentError,
  type Lease,
  type SharedDict,
  StaleFenceError,
} from '../../src/index.js';
import { bad, type Harness, lockTtl, rejection, snapshot, uniqueName, useClients } from './harness.js';

/** FORGED is a fence no store will have issued: the largest safe integer. */
const FORGED = Number.MAX_SAFE_INTEGER;

/** Scope is how a test takes a real lease: a lock, a semaphore permit or an rwlock write. */
type Scope = 'lock' | 'semaphore' | 'rwlock';

/** grant takes a real lease of kind `scope` on `name`, skipping the test where pools are missing. */
async function grant(h: Harness, b: Baton, scope: Scope, name: string, ctx: TestContext): Promise<Lease> {
  if (scope === 'lock') return b.lock(name, { ttlMs: lockTtl(b, 30_000) }).acquire();
  const pools = b.capabilities.semaphores;
  if (!pools) ctx.skip(`${h.name}: this backend has no semaphores or rwlocks`);
  const ttlMs = Math.max(30_000, pools?.minTtlMs ?? 0);
  if (scope === 'semaphore') return b.semaphore(name, { permits: 2, ttlMs }).acquire();
  return b.rwlock(name, { ttlMs }).write();
}

/** expectAllUnissued runs each kind of write with `fence` and expects `unissued_fence` from every one. */
async function expectAllUnissued(d: SharedDict<unknown>, fence: FenceSource): Promise<void> {
  const writes: Array<[string, () => unknown]> = [
    ['set', () => d.set('x', 'forged', { fence })],
    ['delete', () => d.delete('x', { fence })],
    ['incr', () => d.incr('n', 1, { fence })],
    ['batch', () => d.batch([{ op: 'set', key: 'y', value: 'forged' }], { fence })],
    ['setIfAbsent', () => d.setIfAbsent('absent', 'forged', { fence })],
    ['pop', () => d.pop('x', { fence })],
    ['update', () => d.update('x', () => 'forged', { fence })],
  ];
  for (const [what, write] of writes) {
    const err = await rejection(write);
    expect(err, what).toBeInstanceOf(StaleFenceError);
    expect(err, what).toMatchObject({ code: 'stale_fence', detail: 'unissued_fence' });
  }
}

/** forgedFenceTests registers the forged-fence tests. */
export function forgedFenceTests(h: Harness): void {
  describe('dict: forged fences', () => {
    const clients = useClients(h);

    for (const scope of ['lock', 'semaphore', 'rwlock'] as const) {
      it(`${scope}: a fence above anything issued is refused, changes nothing, and the holder still writes`, async (ctx) => {
        const [holder, forger] = await clients.many(2);
        const lease = await grant(h, holder, scope, uniqueName(scope), ctx);
        const d = holder.dict<unknown>(uniqueName('dict'));
        await d.set('x', 'real', { fence: lease });
        await d.set('n', 1, { fence: lease });
        const before = await snapshot(d);
        const forged = { lock: lease.fenceScope, fence: FORGED };
        await expectAllUnissued(forger.dict(d.name), forged);
        expect(await snapshot(d)).toEqual(before);
        // Nothing was recorded: the real holder writes on, also after the dict is cleared.
        await d.set('x', 'still', { fence: lease });
        await forger.dict(d.name).clear();
        await d.set('x', 'after-clear', { fence: lease });
        expect(await d.incr('n', 1, { fence: lease })).toBe(1);
        expect(await d.get('x')).toBe('after-clear');
        await lease.release();
      });
    }

    it('a fence for a lock that was never granted is refused, whatever its value', async () => {
      const [a] = await clients.many(1);
      const d = a.dict<unknown>(uniqueName('dict'));
      await d.set('x', 'plain');
      const before = await snapshot(d);
      for (const lock of [
        uniqueName('lock'),
        `semaphore/${uniqueName('sem')}`,
        `rwlock/${uniqueName('rw')}`,
      ]) {
        await expectAllUnissued(d, { lock, fence: 1 });
      }
      expect(await snapshot(d)).toEqual(before);
    });

    it('fence 0, negative, fractional or unsafe is InvalidArgumentError and changes nothing', async () => {
      const [a] = await clients.many(1);
      const lease = await a.lock(uniqueName('lock'), { ttlMs: lockTtl(a, 30_000) }).acquire();
      const d = a.dict<unknown>(uniqueName('dict'));
      await d.set('x', 'real', { fence: lease });
      const before = await snapshot(d);
      for (const fence of [0, -1, 1.5, Number.NaN, Number.MAX_SAFE_INTEGER + 1, '3']) {
        const source = bad<FenceSource>({ lock: lease.name, fence });
        const err = await rejection(() => d.set('x', 'bad', { fence: source }));
        expect(err, String(fence)).toBeInstanceOf(InvalidArgumentError);
        const batchErr = await rejection(() => d.batch([{ op: 'delete', key: 'x' }], { fence: source }));
        expect(batchErr, String(fence)).toBeInstanceOf(InvalidArgumentError);
      }
      expect(await snapshot(d)).toEqual(before);
      await lease.release();
    });
  });
}
