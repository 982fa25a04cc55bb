/**
 * Errors: every failure baton reports is one of these classes. Each has a literal `code` (the
 * same string the REST API puts in problem+json), a `retryable` flag, and an optional `cause`.
 * Backends translate their clients' errors into these in exactly one function each; nothing
 * matches on message text.
 */

/** ErrorCode lists every `code` a BatonError can carry. */
export type ErrorCode =
  | 'lock_timeout'
  | 'lock_lost'
  | 'lock_not_held'
  | 'version_conflict'
  | 'stale_fence'
  | 'type_mismatch'
  | 'invalid_argument'
  | 'payload_too_large'
  | 'not_found'
  | 'history_compacted'
  | 'watch_overflow'
  | 'backend_unavailable'
  | 'unsupported'
  | 'unauthorized'
  | 'forbidden';

/** BatonError is the base class of every error baton throws on purpose. */
export abstract class BatonError extends Error {
  abstract readonly code: ErrorCode;
  /** retryable is true when the same call may succeed later without changing it. */
  readonly retryable: boolean = false;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }

  override get name(): string {
    return this.constructor.name;
  }
}

/** LockTimeoutError: the lock was not granted within `waitMs`. */
export class LockTimeoutError extends BatonError {
  readonly code = 'lock_timeout';
  constructor(
    readonly lock: string,
    readonly waitMs: number,
  ) {
    super(`lock "${lock}" was not granted within ${waitMs} ms`);
  }
}

/** LockLostError: the lease no longer holds its lock (expired, extension refused, or released). */
export class LockLostError extends BatonError {
  readonly code = 'lock_lost';
  constructor(
    readonly lock: string,
    readonly reason: 'expired' | 'extend_refused' | 'released' | 'lost' = 'lost',
    options?: { cause?: unknown },
  ) {
    super(`lease on lock "${lock}" is lost (${reason.replace('_', ' ')})`, options);
  }
}

/** LockNotHeldError: an operation needed the lock to be held by the caller and it was not. */
export class LockNotHeldError extends BatonError {
  readonly code = 'lock_not_held';
  constructor(readonly lock: string) {
    super(`lock "${lock}" is not held by this owner`);
  }
}

/** VersionConflictError: an `ifVersion` condition failed, or `update(fn)` ran out of attempts. */
export class VersionConflictError extends BatonError {
  readonly code = 'version_conflict';
  override readonly retryable = true;
  constructor(
    readonly key: string,
    readonly expected: number | undefined,
    readonly actual: number | undefined,
    message?: string,
  ) {
    super(
      message ??
        `version conflict on key ${JSON.stringify(key)}: expected ${describeVersion(expected)}, found ${describeVersion(actual)}`,
    );
  }
}

function describeVersion(v: number | undefined): string {
  if (v === undefined) return 'any';
  return v === 0 ? 'absent' : `version ${v}`;
}

/**
 * StaleFenceReason says why a fenced write was refused: `newer_fence` (a write fenced by a newer
 * grant of that lock was already accepted), `not_holder` (the ownership guard: that lease no
 * longer holds the lock) or `unissued_fence` (no grant of that lock has issued that fence: it was
 * forged or mistyped; the write changed nothing and did not raise the dict's recorded fence).
 */
export type StaleFenceReason = 'newer_fence' | 'not_holder' | 'unissued_fence';

const STALE_FENCE_WHY: Readonly<Record<StaleFenceReason, string>> = {
  newer_fence: 'a newer fence was already accepted',
  not_holder: 'that lease no longer holds the lock',
  unissued_fence: 'no grant of that lock has issued this fence',
};

/** isStaleFenceReason tells whether `v` names a StaleFenceReason. */
export function isStaleFenceReason(v: unknown): v is StaleFenceReason {
  return v === 'newer_fence' || v === 'not_holder' || v === 'unissued_fence';
}

/** StaleFenceError: a fenced write was refused; `detail` says why (StaleFenceReason). */
export class StaleFenceError extends BatonError {
  readonly code = 'stale_fence';
  constructor(
    readonly lock: string,
    readonly fence: number,
    readonly detail: StaleFenceReason = 'newer_fence',
  ) {
    super(`write fenced by lock "${lock}" fence ${fence} refused: ${STALE_FENCE_WHY[detail]}`);
  }
}

/** MessageErrorClass is a BatonError class with a fixed `code` whose constructor takes a message. */
type MessageErrorClass<C extends ErrorCode> = new (
  message: string,
  options?: { cause?: unknown },
) => BatonError & { readonly code: C };

/**
 * messageError makes the base of an error class that carries only a message (and an optional
 * `cause`) under a fixed `code`; each such public class extends it under its own name.
 */
function messageError<C extends ErrorCode>(code: C): MessageErrorClass<C> {
  return class extends BatonError {
    readonly code: C = code;
  };
}

/** TypeMismatchError: an operation met a stored value of the wrong type (for example `incr` on a string). */
export class TypeMismatchError extends messageError('type_mismatch') {}

/** InvalidArgumentError: the caller passed something baton does not accept; nothing was changed. */
export class InvalidArgumentError extends messageError('invalid_argument') {}

/** PayloadTooLargeError: an encoded value is larger than the configured limit; nothing was changed. */
export class PayloadTooLargeError extends messageError('payload_too_large') {}

/** NotFoundError: the addressed entry does not exist (used where absence is an error, such as REST GET). */
export class NotFoundError extends messageError('not_found') {}

/** HistoryCompactedError: a watch asked for changes older than the retained history; re-list and watch from the listing's version. */
export class HistoryCompactedError extends BatonError {
  readonly code = 'history_compacted';
  constructor(
    readonly fromVersion: number,
    readonly oldestVersion: number | undefined,
  ) {
    super(
      `watch history before version ${oldestVersion ?? '?'} is gone (asked from ${fromVersion}); list again and watch from the listing's version`,
    );
  }
}

/**
 * WatchOverflowError: a watch fell too far behind (its consumer stopped reading while changes kept
 * coming, and the watch's buffer bound was reached), so it was ended. Retryable: the history is
 * still there; watch again with `fromVersion` = the last version seen (`lastVersion`) and nothing
 * is missed, or HistoryCompactedError if that history has gone since.
 */
export class WatchOverflowError extends BatonError {
  readonly code = 'watch_overflow';
  override readonly retryable = true;
  constructor(
    readonly lastVersion: number,
    readonly limitBytes: number,
  ) {
    super(
      `watch fell behind by more than ${limitBytes} bytes of changes and was ended; watch again from version ${lastVersion}`,
    );
  }
}

/** BackendUnavailableError: the backend could not be reached or did not answer in time. Retryable. */
export class BackendUnavailableError extends BatonError {
  readonly code = 'backend_unavailable';
  override readonly retryable = true;
}

/**
 * NotReplicatedError: a write was applied on the Redis master but fewer than the `replicas=N`
 * replicas the URL asks for acknowledged it within `replicasTimeoutMs` (Redis `WAIT`), so a
 * failover could lose it. A lock grant in that state is released before this is thrown (nothing
 * unreplicated is ever returned); a dict write or an extension may or may not stay applied, as
 * with any BackendUnavailableError. Retryable; its code (and REST problem, 503) is
 * `backend_unavailable`.
 */
export class NotReplicatedError extends BackendUnavailableError {
  constructor(
    readonly acked: number,
    readonly wanted: number,
    readonly timeoutMs: number,
  ) {
    super(`only ${acked} of ${wanted} redis replicas acknowledged the write within ${timeoutMs} ms`);
  }
}

/**
 * UnsupportedError: the backend cannot do this operation (for example dicts on a bare Redlock URL),
 * or this installation cannot open the backend at all (its client library, ioredis or etcd3, is not installed).
 */
export class UnsupportedError extends messageError('unsupported') {}

/** UnauthorizedError: a baton server refused the call for a missing or unknown bearer token. */
export class UnauthorizedError extends messageError('unauthorized') {}

/** ForbiddenError: a baton server refused the call because the token may not use that name or right. */
export class ForbiddenError extends messageError('forbidden') {}

/** isBatonError tells whether `err` is one of baton's typed errors. */
export function isBatonError(err: unknown): err is BatonError {
  return err instanceof BatonError;
}

/** MESSAGE_ERRORS are the classes that carry only a message, by code (for errorFromCode). */
const MESSAGE_ERRORS = new Map<string, MessageErrorClass<ErrorCode>>([
  ['type_mismatch', TypeMismatchError],
  ['invalid_argument', InvalidArgumentError],
  ['payload_too_large', PayloadTooLargeError],
  ['not_found', NotFoundError],
  ['unsupported', UnsupportedError],
  ['unauthorized', UnauthorizedError],
  ['forbidden', ForbiddenError],
]);

/**
 * errorFromCode rebuilds a typed error from a code and message received over the wire (the http
 * backend uses it on problem+json). An unknown code becomes BackendUnavailableError.
 */
export function errorFromCode(
  code: string,
  message: string,
  extra: Record<string, unknown> = {},
): BatonError {
  const str = (k: string) => (typeof extra[k] === 'string' ? (extra[k] as string) : '');
  const num = (k: string) => (typeof extra[k] === 'number' ? (extra[k] as number) : undefined);
  let err: BatonError;
  switch (code) {
    case 'lock_timeout':
      err = new LockTimeoutError(str('lock'), num('waitMs') ?? 0);
      break;
    case 'lock_lost':
      err = new LockLostError(str('lock'));
      break;
    case 'lock_not_held':
      err = new LockNotHeldError(str('lock'));
      break;
    case 'version_conflict':
      err = new VersionConflictError(str('key'), num('expected'), num('actual'), message);
      break;
    case 'stale_fence':
      err = new StaleFenceError(
        str('lock'),
        num('fence') ?? 0,
        isStaleFenceReason(extra.reason) ? extra.reason : 'newer_fence',
      );
      break;
    case 'history_compacted':
      err = new HistoryCompactedError(num('fromVersion') ?? 0, num('oldestVersion'));
      break;
    case 'watch_overflow':
      err = new WatchOverflowError(num('lastVersion') ?? 0, num('limitBytes') ?? 0);
      break;
    default:
      return new (MESSAGE_ERRORS.get(code) ?? BackendUnavailableError)(message);
  }
  err.message = message;
  return err;
}
