/**
 * The history a fleet run records, Jepsen style: every worker appends one JSON line per event to
 * its own file, with `appendFileSync` before it goes on, so a SIGKILL loses at most the outcome
 * of the operation in flight (which then counts as indeterminate), never an event already past.
 * Times are `Date.now()` on one machine, so lines from different processes compare.
 *
 * How it fails: `readHistory` skips a torn last line (a worker killed mid-write) and throws on
 * any other line that is not an event, naming the file and line.
 */
import { appendFileSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Grant is one lock grant a worker saw: its fence, when it asked, when it got it, and its conservative expiry. */
export interface Grant {
  readonly type: 'grant';
  readonly worker: string;
  readonly fence: number;
  /** tReq is just before `acquire` was called; tResp just after it resolved. */
  readonly tReq: number;
  readonly tResp: number;
  /** expiresAt is `lease.expiresAt` (the client's conservative local expiry), read at tResp. */
  readonly expiresAt: number;
  readonly ttlMs: number;
}

/** Read is what a holder read under grant `fence`: the counter C and the size of the set S. */
export interface Read {
  readonly type: 'read';
  readonly worker: string;
  readonly fence: number;
  readonly c: number;
  readonly n: number;
  readonly t: number;
}

/** WriteInvoke is written before a fenced batch is sent: C := c, S += elem, under `fence`. */
export interface WriteInvoke {
  readonly type: 'write';
  readonly worker: string;
  readonly fence: number;
  readonly elem: string;
  /** c is the value written to C (the value read + 1); n the size of S read. */
  readonly c: number;
  readonly n: number;
  readonly t: number;
}

/** WriteOutcome closes a WriteInvoke: accepted (with the dict version), refused as stale, or unknown. */
export interface WriteOutcome {
  readonly type: 'write-ok' | 'write-stale' | 'write-unknown' | 'write-error';
  readonly worker: string;
  readonly elem: string;
  readonly t: number;
  /** version is the dict version the accepted batch got. */
  readonly version?: number;
  /** error is the error's class name and code, for anything but write-ok. */
  readonly error?: string;
}

/** Releasing is written just before `release()` is called. */
export interface Releasing {
  readonly type: 'releasing';
  readonly worker: string;
  readonly fence: number;
  readonly t: number;
}

/** Release records the end of a holding: whether release said it still held the lock. */
export interface Release {
  readonly type: 'release';
  readonly worker: string;
  readonly fence: number;
  /** tInvoke is just before `release()` was called. */
  readonly tInvoke: number;
  readonly t: number;
  /** released: true / false as `release()` resolved; undefined when it failed. */
  readonly released?: boolean;
  readonly error?: string;
}

/** OpFailure is a failed call other than a write (acquire, read, connect), with how long it took. */
export interface OpFailure {
  readonly type: 'op-error';
  readonly worker: string;
  readonly op: 'connect' | 'acquire' | 'read' | 'fenced-read';
  readonly error: string;
  /** expected is false for an error that is not a BatonError a caller is told to expect here. */
  readonly expected: boolean;
  /** message is the start of the error's message (what `error` does not say: "Connection is closed."). */
  readonly message?: string;
  readonly t0: number;
  readonly t: number;
}

/** Event is one line of a worker's history. */
export type Event = Grant | Read | WriteInvoke | WriteOutcome | Releasing | Release | OpFailure;

/** Fault is one fault the nemesis injected, with when it started and ended. */
export interface Fault {
  readonly kind: string;
  readonly target: string;
  readonly t0: number;
  readonly t1: number;
  /** lost: what the fault proved its store lost (a canary acknowledged by a replica is gone). */
  readonly lost?: LostData;
}

/**
 * LostData says, for the store of the run's lock and of its dict, the window of a proven loss:
 * what was acknowledged between `since` and `until` may be gone (a lagging replica promoted, a
 * master restarted empty). The checker excuses exactly those losses, counts them and checks
 * everything else as before.
 */
export interface LostData {
  readonly lock?: LossWindow;
  readonly dict?: LossWindow;
}

/** LossWindow: acknowledged between `since` and `until` (ms, Date.now()) and possibly lost. */
export interface LossWindow {
  readonly since: number;
  readonly until: number;
}

/** Recorder appends events to one worker's history file. */
export class Recorder {
  readonly #file: string;
  readonly #worker: string;

  constructor(file: string, worker: string) {
    this.#file = file;
    this.#worker = worker;
  }

  /** record appends `event` (the worker label is added) and returns once the line is written. */
  record(event: DistributiveOmit<Event, 'worker'>): void {
    appendFileSync(this.#file, `${JSON.stringify({ ...event, worker: this.#worker })}\n`);
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** readHistory reads every `*.jsonl` file in `dir`, in no particular order. */
export function readHistory(dir: string): Event[] {
  const events: Event[] = [];
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.jsonl'))) {
    const lines = readFileSync(join(dir, name), 'utf8').split('\n');
    lines.forEach((line, i) => {
      if (line === '') return;
      try {
        events.push(JSON.parse(line) as Event);
      } catch (err) {
        // Only the last line can be torn (no newline after it), by a SIGKILL in its write.
        if (i !== lines.length - 1) {
          throw new Error(`${name}:${i + 1} is not a history event: ${line.slice(0, 200)}`, { cause: err });
        }
      }
    });
  }
  return events;
}
