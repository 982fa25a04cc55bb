/**
 * Master: one independent Redis master of a Redlock set, as the Redis backend's fail-fast
 * connection (`RedisConnections`: no offline queue, no resending, command timeout = the
 * per-instance timeout, reconnecting in the background) with the script registry on it
 * (redis/scripts.ts): Redlock's own scripts (acquire, fence, inspect) and the Redis backend's lock
 * scripts it reuses (extend, release).
 *
 * A master that cannot be reached when the client opens is not fatal (only a quorum is needed):
 * it is retried in the background every RETRY_OPEN_MS (an unref'd timer, stopped by `close`) and
 * joins as soon as it answers — as a master that was reached once and then lost is reconnected by
 * its ioredis client. Until then every call on it fails at once with BackendUnavailableError,
 * which the quorum logic counts as "no answer".
 *
 * Each master also owns the Redis backend's LockWakeups: one subscriber connection per master per
 * baton client, shared by every waiter of every lock.
 */
import type { Redis } from 'ioredis';
import { BackendUnavailableError } from '../../errors.js';
import { ClientGate } from '../common/gate.js';
import { RedisConnections } from '../redis/client.js';
import { translateError } from '../redis/errors.js';
import { type Script, Scripts } from '../redis/scripts.js';
import type { RedisSettings } from '../redis/url.js';
import { LockWakeups } from '../redis/wakeups.js';

/** RETRY_OPEN_MS is the least time between two attempts to open a master that was unreachable. */
const RETRY_OPEN_MS = 1000;

interface Connected {
  readonly conns: RedisConnections;
  readonly scripts: Scripts;
}

/** Master is one Redlock master: connection, scripts and release subscriptions. */
export class Master {
  /** address is `host:port`, for messages. */
  readonly address: string;
  readonly wakeups: LockWakeups;
  readonly #settings: RedisSettings;
  #connected: Connected | undefined;
  #opening: Promise<void> | undefined;
  #retry: NodeJS.Timeout | undefined;
  readonly #gate = new ClientGate();

  constructor(settings: RedisSettings) {
    this.#settings = settings;
    const node = settings.nodes[0]!;
    this.address = `${node.host}:${node.port}`;
    this.wakeups = new LockWakeups(() => this.#subscriber(), settings.timeoutMs);
  }

  /** connected is true once this master has been reached (its client then reconnects by itself). */
  get connected(): boolean {
    return this.#connected !== undefined;
  }

  /**
   * open tries to connect now (or joins the attempt in flight); it resolves either way, and
   * `connected` tells the outcome. An attempt takes at most the per-instance timeout; a failed
   * one is repeated in the background every RETRY_OPEN_MS until it succeeds or `close`.
   */
  open(): Promise<void> {
    if (this.#connected || this.#gate.closed) return Promise.resolve();
    this.#opening ??= (async () => {
      try {
        const conns = await RedisConnections.open(this.#settings);
        let connected: Connected;
        try {
          connected = { conns, scripts: new Scripts(conns.main) };
        } catch (err) {
          conns.close();
          throw err;
        }
        if (this.#gate.closed) conns.close();
        else this.#connected = connected;
      } catch {
        if (!this.#gate.closed) {
          this.#retry = setTimeout(() => void this.open(), RETRY_OPEN_MS);
          this.#retry.unref();
        }
      } finally {
        this.#opening = undefined;
      }
    })();
    return this.#opening;
  }

  /** call runs one script of the registry on this master. BackendUnavailableError when unreachable. */
  async call<I, O>(script: Script<I, O>, input: I): Promise<O> {
    return this.#ready().scripts.call(script, input);
  }

  /** ping resolves when this master answers PING; BackendUnavailableError otherwise. */
  async ping(): Promise<void> {
    await this.#ready().conns.ping();
  }

  /** withScripts runs `fn` with this master's scripts (the lock index uses it). BackendUnavailableError when unreachable. */
  async withScripts<T>(fn: (scripts: Scripts) => Promise<T>): Promise<T> {
    const { scripts } = this.#ready();
    try {
      return await fn(scripts);
    } catch (err) {
      throw translateError(err);
    }
  }

  /** close fails this master's waiters, closes its connections and stops reopening it. */
  async close(): Promise<void> {
    if (!this.#gate.close()) return;
    clearTimeout(this.#retry);
    await this.wakeups.close();
    this.#connected?.conns.close();
    this.#connected = undefined;
  }

  /** #ready returns the connection, or throws BackendUnavailableError. */
  #ready(): Connected {
    this.#gate.assertOpen();
    if (this.#connected) return this.#connected;
    throw new BackendUnavailableError(`redlock master ${this.address} is not connected`);
  }

  #subscriber(): Promise<Redis> {
    try {
      return this.#ready().conns.subscriber();
    } catch (err) {
      return Promise.reject(err);
    }
  }
}
