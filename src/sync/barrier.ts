/**
 * Barrier: wait until `parties` callers have arrived, like Python's `threading.Barrier` across
 * machines. The state `{ parties, generation, arrived }` is one entry of the reserved dict
 * `_baton.barriers`, changed only by compare-and-set (`update`); the last arrival starts the next
 * generation, which releases everyone waiting on the previous one (they follow the entry by
 * watch, so none misses it). The barrier is reusable: each trip is one generation.
 *
 * A caller that times out or is aborted withdraws its arrival (unless the barrier tripped first,
 * in which case it passed). A process that crashes after arriving stays counted until the barrier
 * trips: give waits a timeout where that matters.
 *
 * How it fails: LockTimeoutError (named `barrier/<name>`) when `waitMs` passes; the signal's
 * reason when aborted; InvalidArgumentError when the barrier is in use with another party count;
 * BackendUnavailableError; UnsupportedError where the backend has no dicts.
 */
import { InvalidArgumentError, LockTimeoutError } from '../errors.js';
import { randomHex } from '../random.js';
import type { SharedDict } from '../shared-state/dict.js';
import { assertCount, assertWait } from '../validation.js';
import { watchUntil } from './watch-until.js';

/** BARRIERS_DICT is the dict that holds every barrier's state (key: the barrier's name). */
export const BARRIERS_DICT = '_baton.barriers';

/** MAX_PARTIES is the largest barrier. */
export const MAX_PARTIES = 10_000;

/** BarrierState is what the dict entry holds. */
interface BarrierState {
  readonly parties: number;
  readonly generation: number;
  readonly arrived: readonly string[];
}

/** Barrier is a handle on one named barrier for `parties` callers. */
export class Barrier {
  readonly name: string;
  readonly parties: number;
  readonly #dict: SharedDict<BarrierState>;

  /** @internal Made by `baton.barrier(name, parties)`. */
  constructor(name: string, parties: number, dict: SharedDict<BarrierState>) {
    this.name = name;
    this.parties = assertCount(parties, MAX_PARTIES, 'parties');
    this.#dict = dict;
  }

  /**
   * wait arrives and resolves, once all `parties` have arrived, to this caller's arrival index
   * (0 for the first, parties−1 for the one that tripped it). LockTimeoutError after `waitMs`
   * (default: for ever), with this caller's arrival withdrawn.
   */
  async wait(options: { waitMs?: number; signal?: AbortSignal } = {}): Promise<number> {
    const waitMs = assertWait(options.waitMs ?? Number.POSITIVE_INFINITY);
    options.signal?.throwIfAborted();
    const token = randomHex(16);
    let generation = 0;
    let index = 0;
    await this.#dict.update(this.name, (current) => {
      const state = this.#check(current);
      generation = state.generation;
      index = state.arrived.length;
      if (index + 1 >= this.parties)
        return { parties: this.parties, generation: generation + 1, arrived: [] };
      return { parties: this.parties, generation, arrived: [...state.arrived, token] };
    });
    if (index + 1 >= this.parties) return index;

    const tripped = (s: BarrierState | undefined) => s !== undefined && s.generation > generation;
    let outcome: 'done' | 'timeout';
    try {
      outcome = await watchUntil(this.#dict, this.name, (e) => tripped(e?.value), {
        waitMs,
        signal: options.signal,
      });
    } catch (err) {
      await this.#withdraw(token, generation);
      throw err;
    }
    if (outcome === 'done') return index;
    if (await this.#withdraw(token, generation)) return index; // tripped while timing out
    throw new LockTimeoutError(`barrier/${this.name}`, waitMs);
  }

  /** arrived reads how many callers wait at the barrier now. */
  async arrived(): Promise<number> {
    return (await this.#dict.get(this.name))?.arrived.length ?? 0;
  }

  /** #withdraw removes this caller's arrival; true when the barrier had already tripped. */
  async #withdraw(token: string, generation: number): Promise<boolean> {
    let passed = false;
    await this.#dict.update(this.name, (current) => {
      const state = current ?? { parties: this.parties, generation, arrived: [] };
      passed = state.generation > generation;
      return passed ? state : { ...state, arrived: state.arrived.filter((t) => t !== token) };
    });
    return passed;
  }

  #check(current: BarrierState | undefined): BarrierState {
    if (current === undefined) return { parties: this.parties, generation: 0, arrived: [] };
    if (current.parties !== this.parties && current.arrived.length > 0) {
      throw new InvalidArgumentError(
        `barrier "${this.name}" is in use with ${current.parties} parties; this handle has ${this.parties}`,
      );
    }
    return current;
  }
}
