/**
 * ReleaseListener: how a Redlock waiter hears that a lock was released. A release publishes on
 * the lock's channel on every master it reaches, so hearing any one master is enough. The
 * listener subscribes on every master through that master's shared LockWakeups (the Redis
 * backend's: one subscriber connection per master per baton client, shared by all waiters), and
 * a wait ends on the first message from any of them.
 *
 * Masters come and go: a master that cannot be subscribed is skipped (and retried, at most once
 * per RESUBSCRIBE_MS, when the waiter next re-checks the lock); a subscription that is lost while
 * waiting (master killed, or its heartbeat unanswered) ends the current wait early, so the waiter
 * re-checks the lock at once — and that re-check, not the listener, decides whether a quorum is
 * still reachable. Nothing here polls the lock, except in one degraded state: while no master at
 * all can be subscribed, a wait lasts at most RESUBSCRIBE_MS.
 */
import type { Wakeup } from '../redis/wakeups.js';
import type { Master } from './master.js';

/** RESUBSCRIBE_MS is the least time between two subscription attempts on one master by one waiter. */
const RESUBSCRIBE_MS = 1000;
/** MAX_TIMER_MS is the longest single setTimeout. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** ReleaseListener listens for release messages of one lock on every reachable master. */
export class ReleaseListener {
  readonly #masters: readonly Master[];
  readonly #channel: string;
  readonly #subs = new Map<number, Wakeup>();
  readonly #tried = new Map<number, number>();
  readonly #subscribing = new Set<number>();
  #left = false;

  private constructor(masters: readonly Master[], channel: string) {
    this.#masters = masters;
    this.#channel = channel;
  }

  /**
   * listen subscribes on every master and resolves once `quorum` subscriptions are in place (or
   * every attempt has settled; subscriptions still connecting join later). Hearing a quorum is
   * enough: a release that succeeded reached a quorum of masters, and two quorums share one.
   * Never rejects: a master that cannot be subscribed is skipped.
   */
  static async listen(masters: readonly Master[], channel: string, quorum: number): Promise<ReleaseListener> {
    const l = new ReleaseListener(masters, channel);
    await new Promise<void>((resolve) => {
      let settled = 0;
      for (let i = 0; i < masters.length; i++) {
        void l.#subscribe(i).then(() => {
          settled++;
          if (l.#subs.size >= quorum || settled === masters.length) resolve();
        });
      }
    });
    return l;
  }

  /** reset forgets messages heard so far (call it just before re-checking the lock) and resubscribes where due. */
  reset(): void {
    for (const w of this.#subs.values()) w.reset();
    const now = performance.now();
    for (let i = 0; i < this.#masters.length; i++) {
      if (this.#subs.has(i) || this.#subscribing.has(i) || !this.#masters[i]!.connected) continue;
      if (now - (this.#tried.get(i) ?? Number.NEGATIVE_INFINITY) < RESUBSCRIBE_MS) continue;
      void this.#subscribe(i);
    }
  }

  /**
   * wait resolves on the first release message from any master (at once if one came since
   * `reset`), when a subscription is lost, or after `ms`. Rejects with `signal.reason` on abort.
   */
  wait(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    // Hearing no master at all (every subscription failed) would mean sleeping until the timeout
    // unwoken: re-check and resubscribe every RESUBSCRIBE_MS instead, until a master is heard.
    const limit = this.#subs.size === 0 ? Math.min(ms, RESUBSCRIBE_MS) : ms;
    const round = new AbortController();
    return new Promise<void>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const end = (err?: unknown) => {
        if (round.signal.aborted) return;
        round.abort();
        if (timer) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (err === undefined) resolve();
        else reject(err);
      };
      const onAbort = () => end(signal?.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      if (Number.isFinite(limit)) {
        timer = setTimeout(() => end(), Math.min(Math.max(0, Math.ceil(limit)), MAX_TIMER_MS));
      }
      for (const [i, w] of this.#subs) {
        const heard = (async () => w.wait(Number.POSITIVE_INFINITY, round.signal))();
        heard.then(
          () => end(),
          () => {
            if (round.signal.aborted) return; // this round ended for another reason
            this.#drop(i, w); // the subscription is gone: re-check the lock now
            end();
          },
        );
      }
    });
  }

  /** leave unsubscribes everywhere (a channel is unsubscribed when no waiter of this client listens). */
  leave(): void {
    this.#left = true;
    for (const w of this.#subs.values()) w.leave();
    this.#subs.clear();
  }

  async #subscribe(i: number): Promise<void> {
    this.#subscribing.add(i);
    this.#tried.set(i, performance.now());
    try {
      const w = await this.#masters[i]!.wakeups.listen(this.#channel);
      if (this.#left) w.leave();
      else this.#subs.set(i, w);
    } catch {
      // not subscribed on this master; reset() retries later
    } finally {
      this.#subscribing.delete(i);
    }
  }

  #drop(i: number, w: Wakeup): void {
    if (this.#subs.get(i) === w) this.#subs.delete(i);
    w.leave();
  }
}
