/**
 * Quorum plumbing: send one call to every master in parallel and stop waiting as soon as the
 * outcome is decided (a quorum agreed, or a quorum can no longer agree), so a slow or frozen
 * minority never delays a decision. Every call is bounded by the per-instance timeout (ioredis
 * `commandTimeout`), so even an undecided gather ends within it.
 */
import { BackendUnavailableError, type BatonError } from '../../errors.js';
import { translateError } from '../redis/errors.js';

/** Outcome is one master's answer: a value, or the error its call failed with. */
export type Outcome<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: BatonError };

/** Outcomes holds one entry per master: undefined while its call is still pending. */
export type Outcomes<T> = ReadonlyArray<Outcome<T> | undefined>;

/** quorumOf is ⌊n/2⌋+1. */
export function quorumOf(n: number): number {
  return Math.floor(n / 2) + 1;
}

/**
 * gather calls `call(i)` for every master index and resolves with a snapshot of the outcomes as
 * soon as `decided(outcomes)` is true, or when every call has settled. It never rejects: a failed
 * call is an Outcome with its (translated) error. Calls still pending keep running; their results
 * are dropped.
 */
export function gather<T>(
  n: number,
  call: (i: number) => Promise<T>,
  decided: (outcomes: Outcomes<T>) => boolean = () => false,
): Promise<Outcomes<T>> {
  const outcomes: Array<Outcome<T> | undefined> = new Array(n).fill(undefined);
  return new Promise((resolve) => {
    let settled = 0;
    let done = false;
    const settle = (i: number, outcome: Outcome<T>) => {
      outcomes[i] = outcome;
      settled++;
      if (done) return;
      if (settled === n || decided(outcomes)) {
        done = true;
        resolve([...outcomes]);
      }
    };
    if (n === 0) resolve([]);
    for (let i = 0; i < n; i++) {
      let pending: Promise<T>;
      try {
        pending = call(i);
      } catch (err) {
        pending = Promise.reject(err);
      }
      pending.then(
        (value) => settle(i, { ok: true, value }),
        (err: unknown) => settle(i, { ok: false, error: translateError(err) }),
      );
    }
  });
}

/** count counts the outcomes that satisfy `test` (pending ones never do). */
export function count<T>(outcomes: Outcomes<T>, test: (o: Outcome<T>) => boolean): number {
  let n = 0;
  for (const o of outcomes) if (o && test(o)) n++;
  return n;
}

/** pendingCount counts the calls still in flight. */
export function pendingCount<T>(outcomes: Outcomes<T>): number {
  let n = 0;
  for (const o of outcomes) if (!o) n++;
  return n;
}

/**
 * noQuorum is the BackendUnavailableError for "no quorum either way: too many masters did not
 * answer", with the first error seen as its cause. `split` describes how the answers divided,
 * when that is not just "answered".
 */
export function noQuorum<T>(
  what: string,
  outcomes: Outcomes<T>,
  quorum: number,
  split = `${count(outcomes, (o) => o.ok)} answered`,
): BackendUnavailableError {
  const firstError = outcomes.find((o): o is Outcome<T> & { ok: false } => o !== undefined && !o.ok);
  const silent = outcomes.length - count(outcomes, (o) => o.ok);
  const why = firstError ? `: ${firstError.error.message}` : '';
  return new BackendUnavailableError(
    `redlock ${what}: of ${outcomes.length} masters ${split}, ${silent} did not; ${quorum} needed to decide${why}`,
    { cause: firstError?.error },
  );
}
