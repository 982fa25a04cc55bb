/**
 * Events and barriers, built on the dict contract (watch without gaps + compare-and-set), so they
 * run on every backend that has dicts: set/clear/wait across clients, a set that is cleared at
 * once still wakes waiters, wait timeouts; a barrier releasing all parties together, reuse over
 * generations, a timed-out party withdrawing its arrival, a different party count refused.
 */
import { describe, expect, it } from 'vitest';
import { type Baton, InvalidArgumentError, LockTimeoutError } from '../../src/index.js';
import { waitUntil } from '../support/wait.js';
import { type Harness, rejection, SLACK_MS, sleep, uniqueName, useClients, within } from './harness.js';

/**
 * QUEUE_MS is how long a started event wait is given to read the event and reach its watch. A wait
 *  announces nothing, so this is a margin (200 ms was one a busy CPU could eat); barriers are waited on
 * by their `arrived()` count instead.
 */
const QUEUE_MS = 1_000;

/** arrivedAt resolves once barrier `name` (of `parties`) counts `n` arrivals, read through `b`. */
function arrivedAt(b: Baton, name: string, parties: number, n: number): Promise<void> {
  return waitUntil(async () => (await b.barrier(name, parties).arrived()) === n, `${n} arrivals at ${name}`, {
    timeoutMs: SLACK_MS,
  });
}

/** syncTests registers the event and barrier tests. */
export function syncTests(h: Harness): void {
  describe('event and barrier', () => {
    const clients = useClients(h);

    it('event: wait resolves for every waiter when another client sets it; clear resets it', async () => {
      const [a, b, c] = await clients.many(3);
      const name = uniqueName('ev');
      expect(await a.event(name).isSet()).toBe(false);
      const waits = [b.event(name).wait(), c.event(name).wait()];
      await sleep(QUEUE_MS);
      await a.event(name).set();
      expect(await within(Promise.all(waits), SLACK_MS, 'waiters woken')).toEqual([true, true]);
      expect(await b.event(name).wait({ waitMs: 0 })).toBe(true); // already set: at once
      await a.event(name).clear();
      expect(await c.event(name).isSet()).toBe(false);
      expect(await c.event(name).wait({ waitMs: 100 })).toBe(false);
    });

    it('event: a set cleared again at once still wakes a waiter (no missed wake-up)', async () => {
      const [a, b] = await clients.many(2);
      const name = uniqueName('ev');
      const waiting = b.event(name).wait({ waitMs: SLACK_MS * 2 });
      await sleep(QUEUE_MS);
      await a.event(name).set();
      await a.event(name).clear();
      expect(await within(waiting, SLACK_MS * 3, 'waiter')).toBe(true);
    });

    it('event: an aborted wait rejects with the reason', async () => {
      const a = await clients.one();
      const ac = new AbortController();
      const waiting = a.event(uniqueName('ev')).wait({ signal: ac.signal });
      await sleep(50);
      const reason = new Error('enough');
      ac.abort(reason);
      await expect(within(waiting, SLACK_MS, 'aborted wait')).rejects.toBe(reason);
    });

    it('barrier: all parties are released together, with distinct arrival indexes, and it is reusable', async () => {
      const bs = await clients.many(3);
      const name = uniqueName('bar');
      for (let round = 0; round < 2; round++) {
        const passed: number[] = [];
        const first = bs[0]
          .barrier(name, 3)
          .wait()
          .then((i) => passed.push(i) && i);
        const second = bs[1]
          .barrier(name, 3)
          .wait()
          .then((i) => passed.push(i) && i);
        await arrivedAt(bs[2], name, 3, 2);
        expect(passed).toEqual([]); // two of three arrived: nobody passes
        expect(await bs[2].barrier(name, 3).arrived()).toBe(2);
        const third = await bs[2].barrier(name, 3).wait();
        const indexes = [
          await within(first, SLACK_MS, 'first'),
          await within(second, SLACK_MS, 'second'),
          third,
        ];
        expect([...indexes].sort()).toEqual([0, 1, 2]);
        expect(third).toBe(2);
        expect(await bs[0].barrier(name, 3).arrived()).toBe(0);
      }
    });

    it('barrier: a party that times out withdraws its arrival; another party count is refused while in use', async () => {
      const [a, b, c] = await clients.many(3);
      const name = uniqueName('bar');
      const err = await rejection(() => a.barrier(name, 2).wait({ waitMs: 150 }));
      expect(err).toBeInstanceOf(LockTimeoutError);
      expect(err).toMatchObject({ lock: `barrier/${name}` });
      expect(await a.barrier(name, 2).arrived()).toBe(0);

      const waiting = b.barrier(name, 2).wait();
      await arrivedAt(a, name, 2, 1);
      expect(await rejection(() => c.barrier(name, 3).wait({ waitMs: 0 }))).toBeInstanceOf(
        InvalidArgumentError,
      );
      expect(await a.barrier(name, 2).arrived()).toBe(1);
      await c.barrier(name, 2).wait();
      await within(waiting, SLACK_MS, 'second party');
      expect(() => a.barrier(name, 0)).toThrow(InvalidArgumentError);
      expect(() => a.event('bad name!')).toThrow(InvalidArgumentError);
    });
  });
}
