/**
 * The closed state of one client-side object (a backend's locks, dicts or pools, its HTTP client,
 * a Redlock master, a Redis subscriber): each call checks it first, and the object's own `close`
 * does its work once.
 *
 * How it fails: `assertOpen` throws BackendUnavailableError ('baton client is closed') once
 * `close` has run.
 */
import { BackendUnavailableError } from '../../errors.js';

/** ClientGate is open until `close()`, then closed for ever. */
export class ClientGate {
  #closed = false;

  /** closed is true once close() has run. */
  get closed(): boolean {
    return this.#closed;
  }

  /** assertOpen throws BackendUnavailableError once closed. */
  assertOpen(): void {
    if (this.#closed) throw new BackendUnavailableError('baton client is closed');
  }

  /** close marks the object closed; false when it already was, so the caller's close runs once. */
  close(): boolean {
    if (this.#closed) return false;
    this.#closed = true;
    return true;
  }
}
