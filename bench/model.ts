/**
 * The shapes every scenario returns and the runner prints: one Row per measured subject, one
 * Verdict per target of issue 9.
 */

import type { RoundsSample } from './measure.js';

/** Row is one measured subject of a scenario (one line of the table). */
export interface Row {
  /** scenario is the id, such as `B1`. */
  readonly scenario: string;
  /** case is what was measured, such as `lock cycle` or `get`. */
  readonly case: string;
  /** subject is who was measured, such as `baton redis` or `redlock`. */
  readonly subject: string;
  /** opsPerSec is the throughput, in the unit the scenario names in `unit`. */
  readonly opsPerSec: number;
  readonly unit: string;
  readonly p50Ms?: number;
  readonly p99Ms?: number;
  /** ratio is opsPerSec divided by the baseline row's of the same case. */
  readonly ratio?: number;
  /** baseline is the subject the ratio is taken against. */
  readonly baseline?: string;
  /**
   * versus is the ratio to a reference peer of the same case and run (B4: keyv), printed in its
   * own column beside the ratio to the baseline.
   */
  readonly versus?: { readonly subject: string; readonly ratio: number };
  /** note is free text: lost updates, errors, caps that were hit. */
  readonly note?: string;
  /** extra holds scenario-specific numbers for the JSON file. */
  readonly extra?: Readonly<Record<string, number>>;
  /** perRound is the throughput of each round when subjects were interleaved (opsPerSec is their median). */
  readonly perRound?: readonly number[];
}

/**
 * rowsOf turns interleaved samples (measure.ts) into table rows of one case, noting calls that
 * failed.
 */
export function rowsOf(
  scenario: string,
  caseName: string,
  unit: string,
  samples: Iterable<[string, RoundsSample]>,
): Row[] {
  return [...samples].map(([subject, s]) => ({
    scenario,
    case: caseName,
    subject,
    unit,
    opsPerSec: s.opsPerSec,
    p50Ms: s.p50Ms,
    p99Ms: s.p99Ms,
    perRound: s.perRound,
    ...(s.errors > 0 ? { note: `${s.errors} calls failed (not timed)` } : {}),
  }));
}

/** Verdict says whether one target of the issue is reached in this run. */
export interface Verdict {
  readonly scenario: string;
  readonly target: string;
  readonly reached: boolean;
  readonly detail: string;
}

/** ScenarioResult is what a scenario hands back to the runner. */
export interface ScenarioResult {
  readonly rows: Row[];
  readonly verdicts: Verdict[];
}

/** Context is what the runner gives a scenario. */
export interface Context {
  readonly quick: boolean;
  /** redisUrl is the runner's own redis-server (empty when the scenario did not ask for it). */
  readonly redisUrl: string;
  /** etcdUrl is the runner's own etcd (empty when the scenario did not ask for it). */
  readonly etcdUrl: string;
  /** progress prints one line on stderr. */
  progress(message: string): void;
}

/** Scenario is one benchmark of issue 9. */
export interface Scenario {
  readonly id: string;
  readonly title: string;
  readonly needs: readonly ('redis' | 'etcd')[];
  run(context: Context): Promise<ScenarioResult>;
}

/**
 * withRatios sets each row's ratio against the row of the same case whose subject is `baseline`
 * (see `pairedRatio`).
 */
export function withRatios(rows: readonly Row[], baseline: string): Row[] {
  return rows.map((row) => {
    const base = rows.find((r) => r.case === row.case && r.subject === baseline);
    if (!base || base.opsPerSec <= 0) return row;
    return { ...row, ratio: pairedRatio(row, base), baseline };
  });
}

/** ratioOf is a's throughput over b's for `caseName` (see `pairedRatio`); NaN when either row is missing. */
export function ratioOf(rows: readonly Row[], caseName: string, a: string, b: string): number {
  const ra = rows.find((r) => r.case === caseName && r.subject === a);
  const rb = rows.find((r) => r.case === caseName && r.subject === b);
  return ra && rb && rb.opsPerSec > 0 ? pairedRatio(ra, rb) : Number.NaN;
}

/**
 * pairedRatio is a's throughput over b's: when both ran in the same interleaved rounds, the median
 * of the per-round ratios (each round's pair ran back to back, so the VM's mood cancels out);
 * otherwise the ratio of their throughputs.
 */
export function pairedRatio(a: Row, b: Row): number {
  const pa = a.perRound;
  const pb = b.perRound;
  if (pa && pb && pa.length === pb.length && pa.length > 0) {
    const ratios = pa.map((x, i) => x / pb[i]!).sort((x, y) => x - y);
    const mid = Math.floor(ratios.length / 2);
    return ratios.length % 2 === 1 ? ratios[mid]! : (ratios[mid - 1]! + ratios[mid]!) / 2;
  }
  return a.opsPerSec / b.opsPerSec;
}
