/**
 * Timing loops shared by the scenarios: sequential and N-concurrent callers, each run for a fixed
 * wall time after a warm-up, recording every call's latency; and `interleave`, which runs several
 * subjects in alternating rounds and reports the median round (this VM is shared and noisy). Latencies are kept as plain arrays
 * and sorted once: at the rates measured here (≤ a few 100k calls per run) that is cheaper than a
 * histogram and exact.
 */
import { performance } from 'node:perf_hooks';

/** Sample is what one timed loop measured. */
export interface Sample {
  readonly ops: number;
  readonly elapsedMs: number;
  readonly opsPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly errors: number;
}

/** Timing says how long a loop warms up and how long it is measured. */
export interface Timing {
  readonly warmupMs: number;
  readonly durationMs: number;
}

/** percentile returns the p-th percentile (0–100) of ascending `sorted`; NaN when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

/** summarize turns raw latencies into a Sample. */
export function summarize(latencies: number[], elapsedMs: number, errors = 0): Sample {
  latencies.sort((a, b) => a - b);
  return {
    ops: latencies.length,
    elapsedMs,
    opsPerSec: elapsedMs > 0 ? (latencies.length * 1000) / elapsedMs : 0,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    errors,
  };
}

/**
 * measure runs `op` from `concurrency` callers in a loop: first for `warmupMs` unrecorded, then for
 * `durationMs` recorded. Each caller gets its index. A rejected call counts as an error and is not
 * timed; more errors than successful calls fails the measurement (a broken peer must not show up
 * as a number).
 */
export async function measure(
  op: (caller: number) => Promise<unknown>,
  timing: Timing,
  concurrency = 1,
): Promise<Sample> {
  await runFor(op, timing.warmupMs, concurrency, null);
  const latencies: number[] = [];
  const errors = { count: 0, first: undefined as unknown };
  const start = performance.now();
  await runFor(op, timing.durationMs, concurrency, latencies, errors);
  const elapsed = performance.now() - start;
  if (errors.count > latencies.length) {
    throw new Error(`${errors.count} of ${errors.count + latencies.length} calls failed`, {
      cause: errors.first,
    });
  }
  return summarize(latencies, elapsed, errors.count);
}

async function runFor(
  op: (caller: number) => Promise<unknown>,
  durationMs: number,
  concurrency: number,
  latencies: number[] | null,
  errors: { count: number; first: unknown } = { count: 0, first: undefined },
): Promise<void> {
  if (durationMs <= 0) return;
  const deadline = performance.now() + durationMs;
  const caller = async (index: number): Promise<void> => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      try {
        await op(index);
        latencies?.push(performance.now() - t0);
      } catch (err) {
        errors.count++;
        errors.first ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, i) => caller(i)));
}

/** Rounds says how subjects are interleaved: each warms up once, then runs `rounds` times for `roundMs`. */
export interface Rounds {
  readonly rounds: number;
  readonly warmupMs: number;
  readonly roundMs: number;
}

/** Contestant is one subject of an interleaved measurement: `op` run by `concurrency` callers. */
export interface Contestant {
  readonly name: string;
  readonly op: (caller: number) => Promise<unknown>;
  readonly concurrency?: number;
}

/** RoundsSample is a Sample over all rounds, with each round's throughput. */
export interface RoundsSample extends Sample {
  /** perRound is the throughput of each round, in the order the rounds ran. */
  readonly perRound: readonly number[];
}

/**
 * interleave measures several subjects in rounds: round r runs every subject once for `roundMs`,
 * starting with a different subject each round, so a busy or quiet second of a shared machine is
 * spread over all subjects instead of landing on one. Throughput is the median of the rounds;
 * p50/p99 are over every call of every round. Fails like `measure` when a subject's calls mostly fail.
 */
export async function interleave(
  contestants: readonly Contestant[],
  rounds: Rounds,
  onRound?: (round: number) => void,
): Promise<Map<string, RoundsSample>> {
  for (const c of contestants) await runFor(c.op, rounds.warmupMs, c.concurrency ?? 1, null);
  const state = contestants.map(() => ({ latencies: [] as number[], perRound: [] as number[], errors: 0 }));
  for (let r = 0; r < rounds.rounds; r++) {
    onRound?.(r);
    for (let k = 0; k < contestants.length; k++) {
      const i = (k + r) % contestants.length;
      const c = contestants[i]!;
      const st = state[i]!;
      const latencies: number[] = [];
      const errors = { count: 0, first: undefined as unknown };
      const start = performance.now();
      await runFor(c.op, rounds.roundMs, c.concurrency ?? 1, latencies, errors);
      const elapsed = performance.now() - start;
      if (errors.count > latencies.length) {
        throw new Error(`${c.name}: ${errors.count} of ${errors.count + latencies.length} calls failed`, {
          cause: errors.first,
        });
      }
      st.perRound.push((latencies.length * 1000) / elapsed);
      st.errors += errors.count;
      for (const l of latencies) st.latencies.push(l);
    }
  }
  const out = new Map<string, RoundsSample>();
  contestants.forEach((c, i) => {
    out.set(c.name, fromRounds(state[i]!.latencies, state[i]!.perRound, state[i]!.errors));
  });
  return out;
}

/** fromRounds makes a RoundsSample from pooled latencies and each round's throughput. */
export function fromRounds(latencies: number[], perRound: readonly number[], errors = 0): RoundsSample {
  const s = summarize(latencies, 1);
  return { ...s, opsPerSec: median(perRound), perRound, errors };
}

/** median of a non-empty list (the mean of the middle two for an even count); NaN when empty. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** sleep resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * fixedWork runs `perCaller` calls of `op` from each of `callers` concurrent callers and times
 * the whole. Unlike `measure` every call must succeed: the scenarios using it count results.
 */
export async function fixedWork(
  op: (caller: number, i: number) => Promise<unknown>,
  callers: number,
  perCaller: number,
): Promise<Sample & { readonly latencies: readonly number[] }> {
  const latencies: number[] = [];
  const start = performance.now();
  await Promise.all(
    Array.from({ length: callers }, async (_, caller) => {
      for (let i = 0; i < perCaller; i++) {
        const t0 = performance.now();
        await op(caller, i);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  return { ...summarize([...latencies], performance.now() - start), latencies };
}
