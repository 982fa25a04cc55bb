/**
 * The checker: reads a fleet run's history and the final state of the dict, and lists every
 * violation of what baton promises. It judges only what the history proves: an operation whose
 * outcome was lost (its worker was killed, or the call failed with BackendUnavailableError) may
 * or may not have happened, and every check allows both.
 *
 * The checks, per lock L and dict D:
 *   1. fences are unique, and a grant that began after another ended has the larger fence;
 *   2. the accepted fenced writes, in the dict's version order, never go backwards in fence; and
 *      in real time: no write is accepted with a fence below that of a write accepted before it
 *      was sent (a failover that lost the higher fence must still refuse the stale holder);
 *   3. no lost update, no phantom: no two accepted writes wrote the same C, each accepted write
 *      read C = |S| (nobody wrote between its read and its write), every accepted element is in
 *      the final S (no acknowledged write lost: the fleets on replicated deployments connect with
 *      `replicas=1`), every element of the final S was written by an accepted or unknown write,
 *      and the final C = |S|, between the accepted count and accepted + unknown;
 *   4. every refused write was stale: its lease had passed its expiry, or a grant with a higher
 *      fence had begun, by the time the refusal came back;
 *   5. no lock was granted twice: no two grants provably overlap in the store. A grant's hold
 *      lasts at least until its release was sent if release said it held, until its conservative
 *      expiry if no release was sent, and otherwise (release said false, failed, or its worker
 *      was killed while it ran) until the earlier of the two;
 *   6. after the faults were healed the fleet made progress, and no call failed with an error
 *      the API does not document for it.
 *
 * Proven losses. A fault that can lose acknowledged data (a lagging replica promoted, a master
 * restarted empty) plants a canary acknowledged by replicas, and reports a loss window for the
 * lock's store or the dict's when the canary is gone afterwards (Fault.lost). Within such a
 * window, and only there, the checks allow what the store provably forgot: an accepted write
 * sent before the window ended and answered after it began that is missing from the final S is
 * counted as `rolledBack` and left out of checks 2 (version order) and 3; a grant answered in a
 * lock window held the lock in the store at most until the window ended (5), and a refusal of
 * such a grant's write is not a violation (4). Check 1 and the real-time order of check 2 (no
 * stale write accepted) hold without exception: fences must survive every loss.
 *
 * How it fails: never throws on a bad history; everything wrong is a line in `violations`.
 */
import type {
  Event,
  Fault,
  Grant,
  LossWindow,
  OpFailure,
  Release,
  Releasing,
  WriteInvoke,
  WriteOutcome,
} from './history.js';

/** FinalState is what the dict holds after the run: the counter C and the elements of S. */
export interface FinalState {
  readonly c: number;
  readonly elems: readonly string[];
}

/** CheckOptions: when the faults were healed (progress is expected after it). */
export interface CheckOptions {
  readonly healedAt?: number;
}

/** Report is the checker's verdict and the figures it prints. */
export interface Report {
  readonly grants: number;
  readonly accepted: number;
  readonly rejectedStale: number;
  readonly unknown: number;
  /** acceptedAfterHeal counts accepted writes sent after `healedAt`. */
  readonly acceptedAfterHeal: number;
  /** rolledBack counts accepted writes missing from the final S inside a proven loss window (excused). */
  readonly rolledBack: number;
  /** rolledBackBy counts them by the kind of fault whose window holds them. */
  readonly rolledBackBy: Readonly<Record<string, number>>;
  readonly faults: Readonly<Record<string, number>>;
  /** errors counts failed calls by operation and error ("acquire BackendUnavailableError"). */
  readonly errors: Readonly<Record<string, number>>;
  /** slowestFailureMs is the longest time a call took to fail, by operation and error (keys as in `errors`). */
  readonly slowestFailureMs: Readonly<Record<string, number>>;
  readonly final: FinalState;
  readonly violations: readonly string[];
}

const MAX_LISTED = 20;

/** check runs every check over `events` and `final`; `faults` are counted for the report. */
export function check(
  events: readonly Event[],
  final: FinalState,
  faults: readonly Fault[],
  options: CheckOptions = {},
): Report {
  const violations: string[] = [];
  const grants = events.filter((e): e is Grant => e.type === 'grant');
  const invokes = events.filter((e): e is WriteInvoke => e.type === 'write');
  const outcomes = events.filter(
    (e): e is WriteOutcome =>
      e.type === 'write-ok' ||
      e.type === 'write-stale' ||
      e.type === 'write-unknown' ||
      e.type === 'write-error',
  );
  const releases = events.filter((e): e is Release => e.type === 'release');
  const releasing = events.filter((e): e is Releasing => e.type === 'releasing');
  const failures = events.filter((e): e is OpFailure => e.type === 'op-error');

  const lockLoss = faults.flatMap((f) => (f.lost?.lock ? [f.lost.lock] : []));
  const dictLoss = faults.flatMap((f) => (f.lost?.dict ? [{ ...f.lost.dict, kind: f.kind }] : []));

  checkFences(grants, violations);
  checkExclusion(grants, releasing, releases, lockLoss, violations);

  const outcomeOf = new Map<string, WriteOutcome>();
  for (const o of outcomes) {
    if (outcomeOf.has(o.elem)) violations.push(`element ${o.elem} has two outcomes`);
    outcomeOf.set(o.elem, o);
  }
  const invokeOf = new Map<string, WriteInvoke>();
  for (const w of invokes) {
    if (invokeOf.has(w.elem)) violations.push(`element ${w.elem} was written twice`);
    invokeOf.set(w.elem, w);
  }
  for (const o of outcomes) if (!invokeOf.has(o.elem)) violations.push(`outcome without a write: ${o.elem}`);

  const ok: Array<WriteInvoke & { version: number; done: number }> = [];
  const stale: Array<{ write: WriteInvoke; outcome: WriteOutcome }> = [];
  const unknown: WriteInvoke[] = [];
  for (const w of invokes) {
    const o = outcomeOf.get(w.elem);
    if (o === undefined || o.type === 'write-unknown') unknown.push(w);
    else if (o.type === 'write-ok') ok.push({ ...w, version: o.version ?? Number.NaN, done: o.t });
    else if (o.type === 'write-stale') stale.push({ write: w, outcome: o });
    else violations.push(`write ${w.elem} (fence ${w.fence}) failed with an unexpected ${o.error}`);
  }

  const finalSet = new Set(final.elems);
  const rolledBack = new Set(
    ok.filter((w) => !finalSet.has(w.elem) && inWindow(dictLoss, w.t, w.done)).map((w) => w.elem),
  );
  const kept = ok.filter((w) => !rolledBack.has(w.elem));
  const rolledBackBy: Record<string, number> = {};
  for (const w of ok.filter((x) => rolledBack.has(x.elem))) {
    const kind = dictLoss.find((l) => inWindow([l], w.t, w.done))!.kind;
    rolledBackBy[kind] = (rolledBackBy[kind] ?? 0) + 1;
  }
  checkWriteOrder(kept, violations);
  checkAcceptedFences(ok, violations);
  checkLostUpdates(kept, unknown, invokeOf, outcomeOf, final, violations);
  checkRefusals(stale, grants, lockLoss, violations);

  for (const f of failures) {
    if (!f.expected) violations.push(`${f.worker}: ${f.op} failed with an unexpected ${f.error}`);
  }
  const acceptedAfterHeal =
    options.healedAt === undefined ? ok.length : ok.filter((w) => w.t >= options.healedAt!).length;
  if (options.healedAt !== undefined && acceptedAfterHeal === 0) {
    violations.push('no write was accepted after the faults were healed: the fleet did not recover');
  }
  if (options.healedAt !== undefined) checkWorkersRecovered(grants, failures, options.healedAt, violations);

  const errors: Record<string, number> = {};
  const slowest: Record<string, number> = {};
  const count = (op: string, error: string, ms: number): void => {
    const key = `${op} ${error}`;
    errors[key] = (errors[key] ?? 0) + 1;
    slowest[key] = Math.max(slowest[key] ?? 0, ms);
  };
  for (const f of failures) count(f.op, f.error, f.t - f.t0);
  for (const o of outcomes) {
    const w = invokeOf.get(o.elem);
    if (o.type !== 'write-ok' && o.error !== undefined && w) count('write', o.error, o.t - w.t);
  }
  for (const r of releases) if (r.error !== undefined) count('release', r.error, r.t - r.tInvoke);

  const faultCounts: Record<string, number> = {};
  for (const f of faults) faultCounts[f.kind] = (faultCounts[f.kind] ?? 0) + 1;

  return {
    grants: grants.length,
    accepted: ok.length,
    rejectedStale: stale.length,
    unknown: unknown.length,
    acceptedAfterHeal,
    rolledBack: rolledBack.size,
    rolledBackBy,
    faults: faultCounts,
    errors,
    slowestFailureMs: slowest,
    final,
    violations,
  };
}

/** inWindow tells whether something that began at `from` and ended at `to` overlaps a loss window. */
function inWindow(windows: readonly LossWindow[], from: number, to: number): boolean {
  return windows.some((w) => to >= w.since && from <= w.until);
}

/** lossEnd is the end of the latest loss window a grant answered inside it falls in (its hold ended there at the latest). */
function lossEnd(windows: readonly LossWindow[], g: Grant): number | undefined {
  const hit = windows.filter((w) => g.tResp >= w.since && g.tReq <= w.until);
  return hit.length === 0 ? undefined : Math.max(...hit.map((w) => w.until));
}

/**
 * STUCK_AFTER is how many failed calls, and nothing else, a worker may make after the faults were
 * healed before it counts as stuck (the backend is up: a healthy client fails a call or two at most).
 */
const STUCK_AFTER = 5;

/** (6) Every worker recovered: none whose every call since the heal failed, STUCK_AFTER times or more. */
function checkWorkersRecovered(
  grants: readonly Grant[],
  failures: readonly OpFailure[],
  healedAt: number,
  violations: string[],
): void {
  const granted = new Set(grants.filter((g) => g.tResp >= healedAt).map((g) => g.worker));
  const failed = new Map<string, OpFailure[]>();
  for (const f of failures) {
    if (f.t0 >= healedAt && !granted.has(f.worker))
      failed.set(f.worker, [...(failed.get(f.worker) ?? []), f]);
  }
  for (const [worker, fs] of failed) {
    if (fs.length < STUCK_AFTER) continue;
    const kinds = [...new Set(fs.map((f) => `${f.op} ${f.error}`))].join(', ');
    const last = fs[fs.length - 1]!.message;
    violations.push(
      `worker ${worker} did not recover: all its ${fs.length} calls since the faults were healed failed (${kinds}${last ? `; last: ${last}` : ''}), none was granted`,
    );
  }
}

/** (1) Fences unique, and increasing in real-time order of grants. */
function checkFences(grants: readonly Grant[], violations: string[]): void {
  const byFence = new Map<number, Grant>();
  for (const g of grants) {
    const other = byFence.get(g.fence);
    if (other) violations.push(`fence ${g.fence} granted twice: to ${other.worker} and ${g.worker}`);
    byFence.set(g.fence, g);
  }
  // Sweep grants by request time; every grant that had answered before this one was asked for
  // must have a smaller fence.
  const byResp = [...grants].sort((a, b) => a.tResp - b.tResp);
  const byReq = [...grants].sort((a, b) => a.tReq - b.tReq);
  let i = 0;
  let max: Grant | undefined;
  for (const g of byReq) {
    while (i < byResp.length && byResp[i]!.tResp < g.tReq) {
      if (max === undefined || byResp[i]!.fence > max.fence) max = byResp[i];
      i++;
    }
    if (max !== undefined && max.fence >= g.fence) {
      violations.push(
        `fence went backwards: ${g.worker} was granted fence ${g.fence} after ${max.worker} had been granted ${max.fence}`,
      );
    }
  }
}

/** (5) No two grants provably held the lock at once in the store. */
function checkExclusion(
  grants: readonly Grant[],
  releasing: readonly Releasing[],
  releases: readonly Release[],
  lockLoss: readonly LossWindow[],
  violations: string[],
): void {
  const releaseOf = new Map<string, Release>();
  for (const r of releases) releaseOf.set(`${r.worker}#${r.fence}`, r);
  const sentAt = new Map<string, number>();
  for (const r of releasing) sentAt.set(`${r.worker}#${r.fence}`, r.t);
  // heldUntil[i] is a lower bound of when grant i's hold ended in the store.
  const sorted = [...grants].sort((a, b) => a.tResp - b.tResp);
  const heldUntil = sorted.map((g) => {
    const key = `${g.worker}#${g.fence}`;
    const r = releaseOf.get(key);
    if (r?.released === true) return r.tInvoke;
    // Any other release that was sent may have freed the lock on its way: a Redlock release
    // reaches one master, the holder pauses, the rest find the keys expired, and it answers
    // false although its first step did release. Only the earlier bound is proof.
    const sent = r?.tInvoke ?? sentAt.get(key);
    const held = sent === undefined ? g.expiresAt : Math.min(sent, g.expiresAt);
    // A grant the store provably lost held the lock there until the loss at the latest.
    return Math.min(held, lossEnd(lockLoss, g) ?? held);
  });
  let longest = 0;
  sorted.forEach((g, i) => {
    longest = Math.max(longest, heldUntil[i]! - g.tResp);
  });
  for (let j = 0; j < sorted.length; j++) {
    const h = sorted[j]!;
    for (let i = j - 1; i >= 0; i--) {
      const g = sorted[i]!;
      if (h.tResp - g.tResp > longest) break;
      // g surely held at h's grant, and h's hold surely began before g's ended.
      if (h.tResp < heldUntil[i]! && g.tResp < heldUntil[j]! && g !== h) {
        violations.push(
          `lock granted twice: ${g.worker} (fence ${g.fence}) still held it when ${h.worker} was granted fence ${h.fence}`,
        );
      }
    }
  }
}

/** (2) Accepted writes never go backwards in fence, in version order. */
function checkWriteOrder(ok: ReadonlyArray<WriteInvoke & { version: number }>, violations: string[]): void {
  const sorted = [...ok].sort((a, b) => a.version - b.version);
  for (let i = 1; i < sorted.length; i++) {
    const a = sorted[i - 1]!;
    const b = sorted[i]!;
    if (!(a.version < b.version)) violations.push(`two accepted writes share version ${b.version}`);
    if (b.fence < a.fence) {
      violations.push(
        `accepted writes went backwards: fence ${b.fence} (${b.elem}) at version ${b.version} after fence ${a.fence} at ${a.version}`,
      );
    }
  }
}

/**
 * (2, real time) No write is accepted with a fence below the highest fence among the writes
 * accepted before it was sent. Unlike the version order, this holds even if a failover lost
 * versions: a store that forgot the higher fence would accept the stale write.
 */
function checkAcceptedFences(ok: ReadonlyArray<WriteInvoke & { done: number }>, violations: string[]): void {
  const byDone = [...ok].sort((a, b) => a.done - b.done);
  const bySent = [...ok].sort((a, b) => a.t - b.t);
  let i = 0;
  let max: (WriteInvoke & { done: number }) | undefined;
  for (const w of bySent) {
    while (i < byDone.length && byDone[i]!.done < w.t) {
      if (max === undefined || byDone[i]!.fence > max.fence) max = byDone[i];
      i++;
    }
    if (max !== undefined && w.fence < max.fence) {
      violations.push(
        `stale write accepted: ${w.elem} (fence ${w.fence}) was accepted after ${max.elem} (fence ${max.fence}) had been`,
      );
    }
  }
}

/** (3) No lost update, no phantom. */
function checkLostUpdates(
  ok: ReadonlyArray<WriteInvoke>,
  unknown: readonly WriteInvoke[],
  invokeOf: ReadonlyMap<string, WriteInvoke>,
  outcomeOf: ReadonlyMap<string, WriteOutcome>,
  final: FinalState,
  violations: string[],
): void {
  const byC = new Map<number, WriteInvoke>();
  for (const w of ok) {
    const other = byC.get(w.c);
    if (other)
      violations.push(`lost update: ${other.elem} and ${w.elem} were both accepted writing C=${w.c}`);
    byC.set(w.c, w);
    if (w.c !== w.n + 1) {
      violations.push(
        `accepted write ${w.elem} (fence ${w.fence}) read C=${w.c - 1} but |S|=${w.n}: someone wrote in between`,
      );
    }
  }
  const finalSet = new Set(final.elems);
  if (finalSet.size !== final.elems.length) violations.push('the final S lists an element twice');
  for (const w of ok)
    if (!finalSet.has(w.elem))
      violations.push(`acknowledged write lost: accepted element ${w.elem} is missing from S`);
  for (const elem of finalSet) {
    const w = invokeOf.get(elem);
    const o = outcomeOf.get(elem);
    if (w === undefined) violations.push(`phantom: ${elem} is in S but was never written`);
    else if (o !== undefined && o.type !== 'write-ok' && o.type !== 'write-unknown') {
      violations.push(`phantom: ${elem} is in S but its write was refused (${o.error})`);
    }
  }
  if (final.c !== finalSet.size) {
    violations.push(
      `final C=${final.c} but |S|=${finalSet.size}: ${Math.abs(final.c - finalSet.size)} updates lost`,
    );
  }
  if (final.c < ok.length || final.c > ok.length + unknown.length) {
    violations.push(
      `final C=${final.c} is outside [accepted ${ok.length}, accepted + unknown ${ok.length + unknown.length}]`,
    );
  }
}

/** (4) Every refused write was stale when refused. */
function checkRefusals(
  stale: ReadonlyArray<{ write: WriteInvoke; outcome: WriteOutcome }>,
  grants: readonly Grant[],
  lockLoss: readonly LossWindow[],
  violations: string[],
): void {
  const grantOf = new Map<string, Grant>();
  for (const g of grants) grantOf.set(`${g.worker}#${g.fence}`, g);
  // For each fence, the earliest request time of any grant with a strictly higher fence.
  const groups = new Map<number, number>(); // fence -> earliest tReq among its grants
  for (const g of grants)
    groups.set(g.fence, Math.min(groups.get(g.fence) ?? Number.POSITIVE_INFINITY, g.tReq));
  const firstHigher = new Map<number, number>();
  let earliest = Number.POSITIVE_INFINITY;
  for (const [fence, tReq] of [...groups].sort((a, b) => b[0] - a[0])) {
    firstHigher.set(fence, earliest);
    earliest = Math.min(earliest, tReq);
  }
  for (const { write, outcome } of stale) {
    const g = grantOf.get(`${write.worker}#${write.fence}`);
    if (g === undefined) {
      violations.push(
        `refused write ${write.elem} names fence ${write.fence}, which ${write.worker} never got`,
      );
      continue;
    }
    const expired = outcome.t >= g.expiresAt;
    const superseded = (firstHigher.get(g.fence) ?? Number.POSITIVE_INFINITY) < outcome.t;
    const forgotten = lossEnd(lockLoss, g) !== undefined;
    if (!expired && !superseded && !forgotten) {
      violations.push(
        `write ${write.elem} (fence ${g.fence}) was refused (${outcome.error}) ${g.expiresAt - outcome.t} ms before its lease expired, with no newer grant`,
      );
    }
  }
}

/** formatReport renders a report as the block of figures a run prints. */
export function formatReport(title: string, r: Report): string {
  const kinds = Object.entries(r.faults)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  const errors = Object.entries(r.errors)
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${k} ×${n}`)
    .join(', ');
  const byOp = new Map<string, number>();
  for (const [key, ms] of Object.entries(r.slowestFailureMs)) {
    const op = key.split(' ')[0]!;
    byOp.set(op, Math.max(byOp.get(op) ?? 0, ms));
  }
  const slow = [...byOp].map(([op, ms]) => `${op} ${Math.round(ms)} ms`).join(', ');
  const lines = [
    `── fleet: ${title}`,
    `   grants ${r.grants}, accepted ${r.accepted} (after heal ${r.acceptedAfterHeal}), rejected-as-stale ${r.rejectedStale}, unknown ${r.unknown}`,
    `   final C=${r.final.c}, |S|=${r.final.elems.length}`,
    ...(r.rolledBack > 0
      ? [
          `   acknowledged writes lost where a fault proved a loss (excused): ${r.rolledBack} (${Object.entries(
            r.rolledBackBy,
          )
            .map(([k, n]) => `${k} ${n}`)
            .join(', ')})`,
        ]
      : []),
    `   faults: ${kinds || 'none'}`,
    `   failed calls: ${errors || 'none'}${slow ? ` (slowest to fail: ${slow})` : ''}`,
    `   violations: ${r.violations.length}`,
    ...r.violations.slice(0, MAX_LISTED).map((v) => `     ✗ ${v}`),
  ];
  if (r.violations.length > MAX_LISTED) lines.push(`     … and ${r.violations.length - MAX_LISTED} more`);
  return lines.join('\n');
}
