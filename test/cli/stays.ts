/**
 * Stays: a cheap command for `baton run` that records when it was inside, so a test can check how
 * many commands ran at once. The command is plain node (no baton import, no connection: each one
 * costs a process start, not a client), writes `{ fence, start, end }` to a file named after its
 * BATON_FENCE when its `ms` are up, and the test reads every file after the runs end. A recorded
 * stay lies within the lease that ran it, so more stays overlapping than permits means more
 * holders at once; a missing file is a run that never finished, a repeated fence cannot write
 * (the file is opened with `wx`).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Stay is one command's time inside, in Date.now() ms. */
export interface Stay {
  readonly fence: number;
  readonly start: number;
  readonly end: number;
}

/** Stays makes the command and reads what the commands recorded. */
export class Stays {
  readonly dir = mkdtempSync(join(tmpdir(), 'baton-stays-'));

  /** command is the argv to give `baton run` after `--`: stays `ms`, then records the stay. */
  command(ms: number): string[] {
    const code = `const fs = require('node:fs');
const start = Date.now();
setTimeout(() => {
  const fence = Number(process.env.BATON_FENCE);
  fs.writeFileSync(${JSON.stringify(this.dir)} + '/' + fence, JSON.stringify({ fence, start, end: Date.now() }), { flag: 'wx' });
}, ${ms});`;
    return [process.execPath, '-e', code];
  }

  /** read returns the recorded stays, by fence. */
  read(): Stay[] {
    return readdirSync(this.dir)
      .map((f) => JSON.parse(readFileSync(join(this.dir, f), 'utf8')) as Stay)
      .sort((a, b) => a.fence - b.fence);
  }

  /** remove deletes the directory. */
  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** mostAtOnce is the largest number of stays that overlap (one ending as another starts does not count). */
export function mostAtOnce(stays: readonly Stay[]): number {
  const edges = stays.flatMap((s) => [
    { at: s.start, d: 1 },
    { at: s.end, d: -1 },
  ]);
  edges.sort((a, b) => a.at - b.at || a.d - b.d);
  let now = 0;
  let most = 0;
  for (const e of edges) {
    now += e.d;
    most = Math.max(most, now);
  }
  return most;
}
