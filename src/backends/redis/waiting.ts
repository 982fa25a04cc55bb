/**
 * waitTurn: the one waiting loop of a Redis lock waiter (locks.ts) and a pool waiter
 * (semaphores.ts), both queued in Lua by queue_lib.lua. The waiter listens for its own wake
 * message on the lock's or pool's channel (one shared subscriber connection, wakeups.ts), then
 * polls its queue script: at once (a wake may have come before the subscription), and again when
 * its message is heard, when the time the last poll named runs out (an expiry publishes nothing),
 * and at least every `refreshMs`, which renews its place in the queue. It stops when a poll says
 * it is done, or with null when `deadline` passes; an abort of `signal` rejects with its reason.
 * Leaving the queue is the caller's part (it knows whether the poll that ended the wait took
 * something it must keep).
 */
import type { LockWakeups } from './wakeups.js';

/** Turn is one poll's answer: done (with the wait's result), or ask again within `retryMs` (-1: no known time). */
export type Turn<T> =
  | { readonly done: true; readonly value: T }
  | { readonly done: false; readonly retryMs: number };

/** WaitTurn is what one wait needs. */
export interface WaitTurn<T> {
  readonly wakeups: LockWakeups;
  readonly channel: string;
  /** message is the waiter's own wake message on `channel`. */
  readonly message: string;
  readonly signal: AbortSignal | undefined;
  /** deadline is the end of the wait, on the performance.now() clock. */
  readonly deadline: number;
  readonly refreshMs: number;
  poll(): Promise<Turn<T>>;
}

/** waitTurn waits as the module comment says; null when the deadline passed first. */
export async function waitTurn<T>(w: WaitTurn<T>): Promise<T | null> {
  w.signal?.throwIfAborted();
  const wake = await w.wakeups.listen(w.channel, w.message);
  try {
    for (;;) {
      wake.reset();
      w.signal?.throwIfAborted();
      const turn = await w.poll();
      if (turn.done) return turn.value;
      const left = w.deadline - performance.now();
      if (left <= 0) return null;
      const retryIn = turn.retryMs >= 0 ? turn.retryMs + 1 : Number.POSITIVE_INFINITY;
      await wake.wait(Math.min(left, retryIn, w.refreshMs), w.signal);
    }
  } finally {
    wake.leave();
  }
}
