/**
 * WatchSlots: the caps on concurrent watch streams of one server, in all and per caller (a
 * token's name, or the client's address when auth is off). A watch takes a slot before it opens
 * its backend watch and gives it back when its response ends, however it ends (the client goes
 * away, the backend fails, the server shuts down).
 *
 * How it fails: `take` throws HttpProblem `too_many_watches` (429, with Retry-After) when either
 * cap is reached; nothing is taken then.
 */
import { HttpProblem } from './problems.js';

/** WatchSlots counts the open watches of one server. */
export class WatchSlots {
  readonly #max: number;
  readonly #maxPerCaller: number;
  readonly #byCaller = new Map<string, number>();
  #total = 0;

  /** constructor takes the cap in all and the cap per caller. */
  constructor(max: number, maxPerCaller: number) {
    this.#max = max;
    this.#maxPerCaller = maxPerCaller;
  }

  /** total is the number of slots taken now. */
  get total(): number {
    return this.#total;
  }

  /** take claims a slot for `caller` and returns its release function (idempotent). Throws when a cap is reached. */
  take(caller: string): () => void {
    const mine = this.#byCaller.get(caller) ?? 0;
    if (mine >= this.#maxPerCaller) {
      throw new HttpProblem(
        'too_many_watches',
        `this caller already has ${mine} open watches (the limit per token is ${this.#maxPerCaller}); close one first`,
        { limit: this.#maxPerCaller },
        { 'Retry-After': '1' },
      );
    }
    if (this.#total >= this.#max) {
      throw new HttpProblem(
        'too_many_watches',
        `the server already has ${this.#total} open watches (its limit is ${this.#max}); try again later`,
        { limit: this.#max },
        { 'Retry-After': '1' },
      );
    }
    this.#byCaller.set(caller, mine + 1);
    this.#total++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#total--;
      const left = (this.#byCaller.get(caller) ?? 1) - 1;
      if (left > 0) this.#byCaller.set(caller, left);
      else this.#byCaller.delete(caller);
    };
  }
}
