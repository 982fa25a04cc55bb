/**
 * ExpirySweep: the background purge of expired dict entries on Redis, so expiry is reclaimed in
 * bounded steps even when nobody touches or watches the dict.
 *
 * Every dict script purges at most `expireBatch` due entries (dict_lib.lua), so a mass expiry is
 * purged over many calls, never in one long one. The sweep makes those calls when the dict's own
 * traffic does not: a sorted set per key prefix, `<prefix>dict-expiry` (its own hash slot, like
 * dict-names), maps each dict that has entries with a TTL to when to look at it next. A write
 * with a TTL notes its dict there after it resolves (expiry_note.lua; a small script the caller
 * does not wait for). Every `expireSweepMs` each client claims up to SWEEP_DICTS due dicts
 * (expiry_claim.lua: the score becomes a negative claim, so two clients do not sweep one dict at
 * once and a claim lapses if its client dies), runs one purge step on each (the dict_state
 * script) and stores the next expiry it reports (expiry_settle.lua), or drops the dict when no TTL
 * entry is left. While steps still find due entries the next round starts at once, one bounded
 * script per dict per round, so other commands interleave.
 *
 * How it fails: never outwardly. A round that cannot reach Redis is skipped and tried again after
 * `expireSweepMs`; a note that cannot be written leaves that dict to its own traffic and watchers
 * (its expired entries stay in memory, never readable, until a script on the dict purges them).
 * Timers are unref'd and stop on `close()`.
 */
import { EXPIRY_CLAIM, EXPIRY_NOTE, EXPIRY_SETTLE } from './script-defs.js';
import type { Scripts } from './scripts.js';

/** SWEEP_DICTS is how many dicts one round claims at most (each gets one purge step). */
const SWEEP_DICTS = 16;

/** SweepStep purges one bounded step of a dict and reports its next expiry and the server's clock. */
export type SweepStep = (dict: string) => Promise<{ nextExpiry?: number | undefined; now: number }>;

/** ExpirySweep notes dicts with TTL entries and sweeps them in bounded steps. */
export class ExpirySweep {
  readonly #scripts: Scripts;
  readonly #index: string;
  readonly #intervalMs: number;
  readonly #claimMs: number;
  readonly #step: SweepStep;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  /**
   * constructor starts the sweep rounds when `intervalMs` > 0. `claimMs` is how long a claim
   * holds: longer than a round can take (each round's calls are bounded by the command timeout).
   */
  constructor(scripts: Scripts, prefix: string, intervalMs: number, claimMs: number, step: SweepStep) {
    this.#scripts = scripts;
    this.#index = `${prefix}dict-expiry`;
    this.#intervalMs = intervalMs;
    this.#claimMs = claimMs;
    this.#step = step;
    if (intervalMs > 0) this.#schedule(intervalMs);
  }

  /** note records that `dict` has an entry due at about `expiresAt` (client clock, ms); never rejects. */
  note(dict: string, expiresAt: number): void {
    if (this.#closed) return;
    this.#scripts.call(EXPIRY_NOTE, { index: this.#index, dict, at: expiresAt }).catch(() => undefined);
  }

  /** close stops the rounds (a round under way finishes its calls, which fail once the client is closed). */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
  }

  #schedule(ms: number): void {
    if (this.#closed) return;
    this.#timer = setTimeout(() => void this.#round(), ms);
    this.#timer.unref();
  }

  async #round(): Promise<void> {
    let busy = false;
    try {
      const { claim, dicts } = await this.#scripts.call(EXPIRY_CLAIM, {
        index: this.#index,
        claimMs: this.#claimMs,
        max: SWEEP_DICTS,
      });
      busy = dicts.length === SWEEP_DICTS;
      const more = await Promise.all(dicts.map((dict) => this.#sweep(dict, claim)));
      busy ||= more.some(Boolean);
    } catch {
      busy = false;
    }
    this.#schedule(busy ? 0 : this.#intervalMs);
  }

  /** #sweep runs one purge step on `dict` and settles its index entry; true when entries are still due. */
  async #sweep(dict: string, claim: string): Promise<boolean> {
    const state = await this.#step(dict);
    await this.#scripts.call(EXPIRY_SETTLE, { index: this.#index, dict, claim, next: state.nextExpiry });
    return state.nextExpiry !== undefined && state.nextExpiry <= state.now;
  }
}
