/**
 * SharedEvent: a named flag that fleets set, clear and wait for, like Python's `threading.Event` across
 * machines. The flag is an entry of the reserved dict `_baton.events`; `wait` reads it and then
 * follows the dict's watch, so a `set` is never missed, even one cleared again at once.
 *
 * How it fails: InvalidArgumentError for a bad wait; the signal's reason when aborted;
 * BackendUnavailableError from the store; UnsupportedError where the backend has no dicts.
 */

import type { SharedDict } from '../shared-state/dict.js';
import { assertWait } from '../validation.js';
import { watchUntil } from './watch-until.js';

/** EVENTS_DICT is the dict that holds every event's flag (key: the event's name). */
export const EVENTS_DICT = '_baton.events';

/**
 * SharedEvent is a handle on one named event; it holds nothing by itself. (Named so it does not
 * hide the global `Event` of the DOM and Node.)
 */
export class SharedEvent {
  readonly name: string;
  readonly #dict: SharedDict<true>;

  /** @internal Made by `baton.event(name)`. */
  constructor(name: string, dict: SharedDict<true>) {
    this.name = name;
    this.#dict = dict;
  }

  /** set raises the flag and wakes every waiter. */
  async set(): Promise<void> {
    await this.#dict.set(this.name, true);
  }

  /** clear lowers the flag; waiters then wait for the next `set`. */
  async clear(): Promise<void> {
    await this.#dict.delete(this.name);
  }

  /** isSet reads the flag. */
  async isSet(): Promise<boolean> {
    return (await this.#dict.get(this.name)) === true;
  }

  /**
   * wait resolves true once the flag is set (at once if it is), false when `waitMs` passes first
   * (default: wait for ever). Rejects with `signal.reason` when aborted.
   */
  async wait(options: { waitMs?: number; signal?: AbortSignal } = {}): Promise<boolean> {
    const waitMs = assertWait(options.waitMs ?? Number.POSITIVE_INFINITY);
    const outcome = await watchUntil(this.#dict, this.name, (e) => e?.value === true, {
      waitMs,
      signal: options.signal,
    });
    return outcome === 'done';
  }
}

/** @deprecated Event is the old name of SharedEvent (it hid the global `Event`); it goes in the next major release. */
export const Event = SharedEvent;
/** @deprecated Event is the old name of SharedEvent; it goes in the next major release. */
export type Event = SharedEvent;
