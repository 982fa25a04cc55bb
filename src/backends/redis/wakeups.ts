/**
 * LockWakeups: how lock waiters hear that a lock was released. One pub/sub connection per baton
 * client, shared by every waiter of every lock: a lock's channel is subscribed while at least one
 * of this client's acquires waits on it, and unsubscribed when the last one leaves.
 *
 * A Wakeup remembers a message that arrives while its waiter is busy retrying, so no release is
 * missed between "the lock is held" and "wait". A Wakeup made for one queued waiter (`listen`
 * with a message) wakes only on that message or on a message for everyone: a release of a lock
 * with a queue wakes only the waiter first in line (see lock-queue.ts), any other message (`*`)
 * wakes every listener. If the subscriber connection is lost, every
 * waiter is failed with BackendUnavailableError at once (it does not silently sleep until the
 * holder's TTL), and the next waiter opens a new connection. While anyone waits, the connection
 * is also checked with a PING every `heartbeatMs`: a server that stops answering without closing
 * the socket (frozen, or cut off by the network) fails the waiters the same way within about
 * 2 × timeoutMs. The heartbeat checks the connection, never the lock: waking stays by message.
 */
import type { Redis } from 'ioredis';
import { BackendUnavailableError } from '../../errors.js';
import { ClientGate } from '../common/gate.js';
import { translateError } from './errors.js';

/** MAX_TIMER_MS is the longest single setTimeout. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** TARGETED marks a message meant for one waiter (`w:<id>`); other waiters ignore it. */
const TARGETED = 'w:';

/** Wakeup is one waiter's view of a lock's release channel. */
export class Wakeup {
  #pending = false;
  #failure: Error | undefined;
  #settle: ((err?: Error) => void) | undefined;
  readonly #leave: (w: Wakeup) => void;
  readonly #mine: string | undefined;

  /** @internal Made by LockWakeups.listen. */
  constructor(leave: (w: Wakeup) => void, mine?: string) {
    this.#leave = leave;
    this.#mine = mine;
  }

  /** reset forgets messages heard so far (call it just before re-checking the lock). */
  reset(): void {
    this.#pending = false;
  }

  /**
   * wait resolves on the next release message (or at once if one came since `reset`), or after
   * `ms`. It rejects with `signal.reason` on abort and with BackendUnavailableError when the
   * subscription is lost or the client closes.
   */
  wait(ms: number, signal?: AbortSignal): Promise<void> {
    if (this.#failure) return Promise.reject(this.#failure);
    signal?.throwIfAborted();
    if (this.#pending) {
      this.#pending = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const onAbort = () => this.#settle?.(signal?.reason as Error);
      this.#settle = (err) => {
        this.#settle = undefined;
        if (timer) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else resolve();
      };
      if (Number.isFinite(ms))
        timer = setTimeout(() => this.#settle?.(), Math.min(Math.max(0, Math.ceil(ms)), MAX_TIMER_MS));
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** leave stops listening (the channel is unsubscribed when nobody else listens). */
  leave(): void {
    this.#leave(this);
  }

  /** @internal notify delivers a release message (ignored when it targets another waiter). */
  notify(message = ''): void {
    if (this.#mine !== undefined && message !== this.#mine && message.startsWith(TARGETED)) return;
    if (this.#settle) this.#settle();
    else this.#pending = true;
  }

  /** @internal fail ends the wait with `err`, now and for every later wait. */
  fail(err: Error): void {
    this.#failure = err;
    this.#settle?.(err);
  }
}

interface Channel {
  readonly listeners: Set<Wakeup>;
  readonly subscribed: Promise<void>;
}

/** LockWakeups owns the shared subscriber connection of one baton client. */
export class LockWakeups {
  readonly #open: () => Promise<Redis>;
  readonly #heartbeatMs: number;
  readonly #waitingFor: string;
  readonly #channels = new Map<string, Channel>();
  #conn: Promise<Redis> | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  readonly #gate = new ClientGate();

  /**
   * constructor takes the factory of subscriber connections (each connected, not reconnecting,
   * with a command timeout), the heartbeat interval, and what its listeners wait for (for the
   * messages of the errors they get).
   */
  constructor(open: () => Promise<Redis>, heartbeatMs: number, waitingFor = 'a lock') {
    this.#open = open;
    this.#heartbeatMs = heartbeatMs;
    this.#waitingFor = waitingFor;
  }

  /**
   * listen subscribes to `channel` (if not yet) and returns a Wakeup; with `mine`, the Wakeup
   * ignores messages meant for other waiters (`w:…` other than `mine`). BackendUnavailableError
   * when it cannot subscribe.
   */
  async listen(channel: string, mine?: string): Promise<Wakeup> {
    this.#gate.assertOpen();
    let ch = this.#channels.get(channel);
    if (!ch) {
      const subscribed = this.#connection().then(async (conn) => {
        await conn.subscribe(channel);
      });
      ch = { listeners: new Set(), subscribed };
      this.#channels.set(channel, ch);
    }
    const entry = ch;
    const w = new Wakeup((leaving) => this.#leave(channel, entry, leaving), mine);
    entry.listeners.add(w);
    this.#armHeartbeat();
    try {
      await entry.subscribed;
    } catch (err) {
      this.#leave(channel, entry, w);
      throw translateError(err);
    }
    return w;
  }

  /** close fails every waiter with BackendUnavailableError and closes the connection. */
  async close(): Promise<void> {
    if (!this.#gate.close()) return;
    this.#failAll(new BackendUnavailableError(`baton client closed while waiting for ${this.#waitingFor}`));
    this.#stopHeartbeat();
    const conn = this.#conn;
    this.#conn = undefined;
    if (conn) (await conn.catch(() => undefined))?.disconnect();
  }

  #connection(): Promise<Redis> {
    if (!this.#conn) {
      const opening = this.#open().then((conn) => {
        conn.on('message', (channel: string, message: string) => {
          for (const w of this.#channels.get(channel)?.listeners ?? []) w.notify(message);
        });
        conn.once('close', () => {
          if (this.#conn === opening) this.#conn = undefined;
          if (!this.#gate.closed) {
            this.#failAll(
              new BackendUnavailableError(`lost the redis connection while waiting for ${this.#waitingFor}`),
            );
          }
        });
        if (this.#gate.closed) conn.disconnect();
        return conn;
      });
      opening.catch(() => {
        if (this.#conn === opening) this.#conn = undefined;
      });
      this.#conn = opening;
    }
    return this.#conn;
  }

  #leave(channel: string, ch: Channel, w: Wakeup): void {
    if (!ch.listeners.delete(w) || ch.listeners.size > 0) return;
    if (this.#channels.get(channel) !== ch) return;
    this.#channels.delete(channel);
    const conn = this.#conn;
    if (conn) {
      void ch.subscribed
        .then(() => conn)
        .then((c) => c.unsubscribe(channel))
        .catch(() => undefined);
    }
  }

  #failAll(err: Error): void {
    const channels = [...this.#channels.values()];
    this.#channels.clear();
    this.#stopHeartbeat();
    for (const ch of channels) for (const w of ch.listeners) w.fail(err);
  }

  #armHeartbeat(): void {
    if (this.#heartbeat || this.#gate.closed) return;
    this.#heartbeat = setTimeout(() => {
      this.#heartbeat = undefined;
      void this.#beat();
    }, this.#heartbeatMs);
    this.#heartbeat.unref();
  }

  async #beat(): Promise<void> {
    const opening = this.#conn;
    if (this.#channels.size === 0 || !opening) return;
    try {
      await (await opening).ping();
    } catch {
      if (this.#conn !== opening || this.#gate.closed) return;
      this.#conn = undefined;
      this.#failAll(
        new BackendUnavailableError(`redis stopped answering while waiting for ${this.#waitingFor}`),
      );
      (await opening.catch(() => undefined))?.disconnect();
      return;
    }
    if (this.#channels.size > 0) this.#armHeartbeat();
  }

  #stopHeartbeat(): void {
    if (this.#heartbeat) clearTimeout(this.#heartbeat);
    this.#heartbeat = undefined;
  }
}
