/**
 * Waiting for a lock: `waitMs` timeouts, waking on release and on the holder's expiry, cancelling
 * a wait with an AbortSignal (before and during the wait), closing a client while it waits, and
 * FIFO order where `capabilities.locks.fairOrdering` promises it.
 *
 * A queued waiter announces nothing, so tests that need one queued give it QUEUE_MS to get there.
 */
import { describe, expect, it } from 'vitest';
import { BatonError, LockTimeoutError } from '../../src/index.js';
import {
  type Harness,
  LONG_TEST_MS,
  lockTtl,
  SLACK_MS,
  sleep,
  uniqueName,
  useClients,
  within,
} from './harness.js';

/** QUEUE_MS is how long a started acquire is given to reach the store's queue. */
const QUEUE_MS = 150;

/**
 * ARRIVAL_GAP_MS separates the waiters of the FIFO test, whose order is only their arrival order at
 * the store: with QUEUE_MS, a waiter delayed by a busy CPU could arrive after the next one. Locks
 * report no queue, so this is a margin, not an event.
 */
const ARRIVAL_GAP_MS = 1_000;

/** lockWaitTests registers the waiting tests. */
export function lockWaitTests(h: Harness): void {
  describe('lock: waiting', () => {
    const clients = useClients(h);

    it('acquire({ waitMs }) rejects with LockTimeoutError when the lock is not released in time', async () => {
      const [a, b] = await clients.many(2);
      const name = uniqueName('lock');
      const holder = await a.lock(name, { ttlMs: lockTtl(a, 60_000) }).acquire();
      const waitMs = 300;
      const started = performance.now();
      const err = await b
        .lock(name)
        .acquire({ waitMs })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LockTimeoutError);
      expect(err).toMatchObject({ code: 'lock_timeout', lock: name, waitMs });
      expect(performance.now() - started).toBeGreaterThanOrEqual(waitMs - 5);
      expect(await b.lock(name).inspect()).toMatchObject({ held: true, fence: holder.fence });
      await holder.release();
      expect((await b.lock(name).inspect()).held).toBe(false); // the timed-out waiter took nothing
    });

    it('waitMs 0 on a held lock rejects at once with LockTimeoutError', async () => {
      const [a, b] = await clients.many(2);
      const name = uniqueName('lock');
      const holder = await a.lock(name, { ttlMs: lockTtl(a, 60_000) }).acquire();
      const attempt = b.lock(name).acquire({ waitMs: 0 });
      await expect(within(attempt, SLACK_MS, 'acquire({ waitMs: 0 })')).rejects.toBeInstanceOf(
        LockTimeoutError,
      );
      await holder.release();
    });

    it('a waiter (default waitMs: for ever) is granted the lock when the holder releases it', async () => {
      const [a, b] = await clients.many(2);
      const name = uniqueName('lock');
      const holder = await a.lock(name, { ttlMs: lockTtl(a, 60_000) }).acquire();
      let releasing = false;
      const waiting = b
        .lock(name, { ttlMs: lockTtl(b, 60_000) })
        .acquire()
        .then((lease) => ({ lease, afterRelease: releasing }));
      await sleep(QUEUE_MS);
      releasing = true;
      expect(await holder.release()).toBe(true);
      // Far sooner than the holder's 60 s TTL: woken by the release, not by the expiry.
      const { lease, afterRelease } = await within(waiting, SLACK_MS, 'waiter granted after release');
      expect(afterRelease).toBe(true);
      expect(lease.fence).toBeGreaterThan(holder.fence);
      expect(await a.lock(name).inspect()).toMatchObject({ held: true, fence: lease.fence });
      await lease.release();
    });

    it(
      'a waiter is granted the lock when the holder expires without releasing',
      async () => {
        const [a, b] = await clients.many(2);
        const name = uniqueName('lock');
        const ttlMs = lockTtl(a, 300);
        const started = performance.now();
        const holder = await a.lock(name, { ttlMs }).acquire();
        const lease = await within(
          b.lock(name, { ttlMs: lockTtl(b, 60_000) }).acquire({ waitMs: 10 * ttlMs + SLACK_MS }),
          10 * ttlMs + 2 * SLACK_MS,
          'waiter granted after expiry',
        );
        expect(performance.now() - started).toBeGreaterThanOrEqual(ttlMs - 5);
        expect(lease.fence).toBeGreaterThan(holder.fence);
        expect(holder.lost).toBe(true);
        await expect(holder.extend()).rejects.toMatchObject({ code: 'lock_lost' });
        expect(await holder.release()).toBe(false);
        expect(await a.lock(name).inspect()).toMatchObject({ held: true, fence: lease.fence });
        await lease.release();
      },
      LONG_TEST_MS,
    );

    it('aborting a wait rejects with the signal reason, and the aborted waiter never takes the lock', async () => {
      const [a, b, c] = await clients.many(3);
      const name = uniqueName('lock');
      const holder = await a.lock(name, { ttlMs: lockTtl(a, 60_000) }).acquire();
      const ac = new AbortController();
      const waiting = b
        .lock(name)
        .acquire({ signal: ac.signal })
        .catch((e: unknown) => e);
      await sleep(QUEUE_MS);
      const reason = new Error('caller gave up');
      ac.abort(reason);
      expect(await within(waiting, SLACK_MS, 'aborted wait settles')).toBe(reason);
      await holder.release();
      expect((await c.lock(name).inspect()).held).toBe(false);
      const next = await c.lock(name).tryAcquire();
      expect(next).not.toBeNull();
      expect(next!.fence).toBeGreaterThan(holder.fence);
      await next!.release();
    });

    it('an already-aborted signal rejects with its reason and does not take even a free lock', async () => {
      const [a] = await clients.many(1);
      const name = uniqueName('lock');
      const reason = new Error('aborted before asking');
      const err = await a
        .lock(name)
        .acquire({ signal: AbortSignal.abort(reason) })
        .catch((e: unknown) => e);
      expect(err).toBe(reason);
      expect(await a.lock(name).inspect()).toMatchObject({ held: false, fence: 0 });
    });

    it('closing a client while it waits ends the wait with an error, and it takes nothing', async () => {
      const [a, b, c] = await clients.many(3);
      const name = uniqueName('lock');
      const holder = await a.lock(name, { ttlMs: lockTtl(a, 60_000) }).acquire();
      const waiting = b
        .lock(name)
        .acquire()
        .catch((e: unknown) => e);
      await sleep(QUEUE_MS);
      await b.close();
      expect(await within(waiting, SLACK_MS, 'wait ended by close')).toBeInstanceOf(BatonError);
      await holder.release();
      expect((await c.lock(name).inspect()).held).toBe(false);
    });

    it(
      'waiters are granted in arrival order (FIFO)',
      async (ctx) => {
        const batons = await clients.many(6);
        const a = batons[0]!;
        if (!a.capabilities.locks.fairOrdering)
          ctx.skip(`${h.name}: capabilities.locks.fairOrdering is false (FIFO not promised)`);
        const name = uniqueName('lock');
        const holder = await a.lock(name, { ttlMs: lockTtl(a, 60_000) }).acquire();
        const order: number[] = [];
        const waiters: Array<Promise<void>> = [];
        for (let i = 1; i < batons.length; i++) {
          const b = batons[i]!;
          waiters.push(
            b
              .lock(name, { ttlMs: lockTtl(b, 60_000) })
              .acquire()
              .then(async (lease) => {
                order.push(i);
                await lease.release();
              }),
          );
          await sleep(ARRIVAL_GAP_MS);
        }
        await holder.release();
        await within(Promise.all(waiters), 5 * SLACK_MS, 'all waiters granted');
        expect(order).toEqual([1, 2, 3, 4, 5]);
      },
      LONG_TEST_MS,
    );
  });
}
