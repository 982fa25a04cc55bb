/**
 * Master: one independent Redis master of a Redlock set, as the Redis backend's fail-fast
 * connection (`RedisConnections`: no offline queue, no resending, command timeout = the
 * per-instance timeout, reconnecting in the background) with both script sets registered on it:
 * the Redis backend's lock scripts (extend, release) and Redlock's own (acquire, fence, inspect).
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
import { type AnyClient, RedisConnections } from '../redis/client.js';
import { translateError } from '../redis/errors.js';
import { type ScriptName, Scripts } from '../redis/scripts.js';
import type { RedisSettings } from '../redis/url.js';
import { LockWakeups } from '../redis/wakeups.js';
import { type RedlockScriptName, RedlockScripts } from './scripts.js';

/** RETRY_OPEN_MS is the least time between two attempts to open a master that was unreachable. */
const RETRY_OPEN_MS = 1000;

type ScriptArg = string | number;

interface Connected {
  readonly conns: RedisConnections;
  readonly redis: Scripts;
  readonly own: RedlockScripts;
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
  #closed = false;

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
    if (this.#connected || this.#closed) return Promise.resolve();
    this.#opening ??= (async () => {
      try {
        const conns = await RedisConnections.open(this.#settings);
        let connected: Connected;
        try {
          connected = { conns, redis: new Scripts(conns.main), own: new RedlockScripts(conns.main) };
        } catch (err) {
          conns.close();
          throw err;
        }
        if (this.#closed) conns.close();
        else this.#connected = connected;
      } catch {
        if (!this.#closed) {
          this.#retry = setTimeout(() => void this.open(), RETRY_OPEN_MS);
          this.#retry.unref();
        }
      } finally {
        this.#opening = undefined;
      }
    })();
    return this.#opening;
  }

  /** run calls one of the Redis backend's scripts on this master. BackendUnavailableError when unreachable. */
  run(name: ScriptName, keys: readonly string[], args: readonly ScriptArg[]): Promise<unknown> {
    return this.#ready().redis.run(name, keys, args);
  }

  /** runOwn calls one of Redlock's scripts on this master. BackendUnavailableError when unreachable. */
  runOwn(name: RedlockScriptName, keys: readonly string[], args: readonly ScriptArg[]): Promise<unknown> {
    return this.#ready().own.run(name, keys, args);
  }

  /** ping resolves when this master answers PING; BackendUnavailableError otherwise. */
  async ping(): Promise<void> {
    const { conns } = this.#ready();
    try {
      await conns.main.ping();
    } catch (err) {
      throw translateError(err);
    }
  }

  /** withClient runs `fn` on this master's connection (the lock index uses it). BackendUnavailableError when unreachable. */
  async withClient<T>(fn: (client: AnyClient) => Promise<T>): Promise<T> {
    const { conns } = this.#ready();
    try {
      return await fn(conns.main);
    } catch (err) {
      throw translateError(err);
    }
  }

  /** close fails this master's waiters, closes its connections and stops reopening it. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#retry);
    await this.wakeups.close();
    this.#connected?.conns.close();
    this.#connected = undefined;
  }

  /** #ready returns the connection, or throws BackendUnavailableError. */
  #ready(): Connected {
    if (this.#closed) throw new BackendUnavailableError('baton client is closed');
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
