/**
 * The CLI's exit codes, in one place, and the one function that maps an error to one. `baton run`
 * passes its command's own exit status through unchanged (128+n when a signal ended it), so those
 * numbers then mean whatever the command says; the codes below are what baton itself returns.
 */
import { isBatonError } from '../errors.js';

/** EXIT lists the exit codes of the baton CLI. */
export const EXIT = Object.freeze({
  /** OK: done. */
  OK: 0,
  /** ERROR: anything not listed below (a bug, an unsupported operation). */
  ERROR: 1,
  /** USAGE: a usage or configuration mistake: bad flag, duration, URL, name, JSON, or a refused token. */
  USAGE: 2,
  /** NOT_FOUND: `dict get` / `dict delete` of a key that is absent. */
  NOT_FOUND: 3,
  /** CONFLICT: the store refused a conditional write: --if-version mismatch, stale --fence, incr on a non-number. */
  CONFLICT: 4,
  /** COMPACTED: `dict watch --from-version` asked for history the store no longer keeps; list again. */
  COMPACTED: 5,
  /** UNAVAILABLE: the backend could not be reached or did not answer in time (sysexits EX_UNAVAILABLE). */
  UNAVAILABLE: 69,
  /** LEASE_LOST: `run` lost the lock while its command ran; the command was stopped. */
  LEASE_LOST: 70,
  /**
   * BUSY: `run` did not get the lock: -n/--no-wait and held, or --wait elapsed (sysexits
   * EX_TEMPFAIL). flock(1) exits 1 there by default; baton keeps 75 so that a busy lock is never
   * mistaken for a command that failed with 1 (like `flock -E 75`).
   */
  BUSY: 75,
  /** CANNOT_EXECUTE: `run` found its command but could not execute it (as in sh). */
  CANNOT_EXECUTE: 126,
  /** COMMAND_NOT_FOUND: `run` could not find its command (as in sh). */
  COMMAND_NOT_FOUND: 127,
});

/** CliError is a failure the CLI reports as one line on stderr with a chosen exit code. */
export class CliError extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super(message);
  }
}

const BY_CODE: Readonly<Record<string, number>> = Object.freeze({
  invalid_argument: EXIT.USAGE,
  payload_too_large: EXIT.USAGE,
  unauthorized: EXIT.USAGE,
  forbidden: EXIT.USAGE,
  not_found: EXIT.NOT_FOUND,
  version_conflict: EXIT.CONFLICT,
  stale_fence: EXIT.CONFLICT,
  type_mismatch: EXIT.CONFLICT,
  history_compacted: EXIT.COMPACTED,
  backend_unavailable: EXIT.UNAVAILABLE,
  watch_overflow: EXIT.UNAVAILABLE,
  lock_lost: EXIT.LEASE_LOST,
  lock_timeout: EXIT.BUSY,
});

/** exitCodeFor maps an error to the exit code the CLI returns for it (EXIT.ERROR when nothing more precise fits). */
export function exitCodeFor(err: unknown): number {
  if (err instanceof CliError) return err.exitCode;
  if (isBatonError(err)) return BY_CODE[err.code] ?? EXIT.ERROR;
  return EXIT.ERROR;
}

/** EXIT_CODES_HELP is the exit code table shown in `baton --help`. */
export const EXIT_CODES_HELP = `Exit codes:
  0    done                                 4    refused: --if-version, stale --fence, incr type
  1    unexpected error                     5    watch history gone (list again)
  2    usage or configuration mistake       69   backend unreachable
  3    key not found (dict get, delete)     70   run: lock lost while the command ran
  75   run: lock busy (-n, or -w elapsed; flock says 1 here unless given -E 75)
  run otherwise exits with its command's status (128+n after signal n; 126/127 cannot run it).`;
