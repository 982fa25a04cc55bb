/**
 * Baton: a connected client — the entry point to locks and shared dicts. Made by `connect()`.
 * It holds the backend connections; `close()` releases them (held leases are not released:
 * they expire by their TTL, as they would if the process crashed).
 */

import { BackendUnavailableError, LockLostError, UnsupportedError } from './errors.js';
import type { LockBackend, LockCapabilities, LockInfo } from './locks/backend.js';
import type { Lease, LeaseSettings } from './locks/lease.js';
import { type AcquireOptions, Lock, type LockOptions } from './locks/lock.js';
import type { DictBackend, DictCapabilities } from './shared-state/backend.js';
import { type DictSettings, SharedDict } from './shared-state/dict.js';
import { assertName } from './validation.js';

/** BatonSettings are the client-side rules chosen at connect time. */
export interface BatonSettings extends LeaseSettings, DictSettings {}

/** Baton is a connected client. */
export class Baton implements AsyncDisposable {
  readonly #locks: LockBackend;
  readonly #dicts: DictBackend;
  readonly #settings: BatonSettings;
  readonly #close: () => Promise<void>;
  #closing: Promise<void> | undefined;

  /** @internal Use `connect()`. */
  constructor(locks: LockBackend, dicts: DictBackend, settings: BatonSettings, close: () => Promise<void>) {
    this.#locks = locks;
    this.#dicts = dicts;
    this.#settings = settings;
    this.#close = close;
  }

  /** capabilities tells what the connected backends guarantee (fair ordering, TTL minimum, ownership guard…). */
  get capabilities(): { readonly locks: LockCapabilities; readonly dicts: DictCapabilities } {
    const dicts = this.#dicts.capabilities;
    // A composed client turns the ownership guard off whatever the dict store could do.
    return {
      locks: this.#locks.capabilities,
      dicts: { ...dicts, ownershipGuard: this.#settings.ownershipGuard },
    };
  }

  /** lock returns a handle on the lock `name` (1-200 of A-Z a-z 0-9 . _ : -). InvalidArgumentError for a bad name or option. */
  lock(name: string, options: LockOptions = {}): Lock {
    return new Lock(assertName(name, 'lock'), this.#locks, options, this.#settings);
  }

  /**
   * withLock acquires `name`, runs `fn(lease)` while keeping the lease extended, releases it in
   * `finally`, and resolves to what `fn` returned. If the lease is lost while `fn` runs,
   * `lease.signal` aborts at once and withLock rejects with LockLostError after `fn` settles,
   * because the section was not exclusive to its end. LockTimeoutError when not granted within
   * `waitMs`. A release that fails because the backend is unreachable is not reported: the lock
   * then ends at its TTL.
   */
  async withLock<R>(
    name: string,
    fn: (lease: Lease) => Promise<R> | R,
    options: AcquireOptions = {},
  ): Promise<R> {
    const lease = await this.lock(name).acquire({ ...options, autoExtend: true });
    let result: R;
    try {
      result = await fn(lease);
    } catch (err) {
      await lease.release().catch(() => undefined);
      throw err;
    }
    const lost = lease.lost ? (lease.signal.reason as LockLostError) : undefined;
    try {
      await lease.release();
    } catch (err) {
      if (!(err instanceof BackendUnavailableError)) throw err;
    }
    if (lost) throw new LockLostError(name, lost.reason, { cause: lost });
    return result;
  }

  /** dict returns a handle on the shared dict `name`. InvalidArgumentError for a bad name. */
  dict<T = unknown>(name: string): SharedDict<T> {
    return new SharedDict<T>(name, this.#dicts, this.#settings);
  }

  /** listLocks lists the locks currently held (never their tokens). */
  listLocks(options: { prefix?: string; limit?: number } = {}): Promise<LockInfo[]> {
    return this.#locks.list(options);
  }

  /** listDicts lists dicts that have entries, where the backend can (UnsupportedError otherwise). */
  async listDicts(
    options: { prefix?: string; limit?: number } = {},
  ): Promise<Array<{ name: string; size: number }>> {
    if (!this.#dicts.listDicts) throw new UnsupportedError('this backend cannot list dicts');
    return this.#dicts.listDicts(options);
  }

  /** ping resolves when both backends answer; BackendUnavailableError otherwise. */
  async ping(): Promise<void> {
    await Promise.all([this.#locks.ping(), this.#dicts.ping()]);
  }

  /** close closes every connection of this client; idempotent. Held leases expire by their TTL. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  /** Symbol.asyncDispose closes the client (for `await using`). */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
