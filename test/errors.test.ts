/**
 * errors (src/errors.ts): every code a problem+json body can carry comes back from errorFromCode
 * as the class of that name and code (the Python client and the http backend map codes to these
 * names), with the message received and the fields the body carried; a code baton does not know,
 * including names of Object's own properties, becomes BackendUnavailableError.
 */
import { describe, expect, it } from 'vitest';
import {
  BackendUnavailableError,
  BatonError,
  type ErrorCode,
  errorFromCode,
  ForbiddenError,
  InvalidArgumentError,
  LockTimeoutError,
  NotFoundError,
  PayloadTooLargeError,
  StaleFenceError,
  TypeMismatchError,
  UnauthorizedError,
  UnsupportedError,
} from '../src/errors.js';

const CLASS_OF: Readonly<Record<ErrorCode, string>> = {
  lock_timeout: 'LockTimeoutError',
  lock_lost: 'LockLostError',
  lock_not_held: 'LockNotHeldError',
  version_conflict: 'VersionConflictError',
  stale_fence: 'StaleFenceError',
  type_mismatch: 'TypeMismatchError',
  invalid_argument: 'InvalidArgumentError',
  payload_too_large: 'PayloadTooLargeError',
  not_found: 'NotFoundError',
  history_compacted: 'HistoryCompactedError',
  watch_overflow: 'WatchOverflowError',
  backend_unavailable: 'BackendUnavailableError',
  unsupported: 'UnsupportedError',
  unauthorized: 'UnauthorizedError',
  forbidden: 'ForbiddenError',
};

describe('errorFromCode', () => {
  it('rebuilds each code as the class of that name, with the message received', () => {
    for (const [code, name] of Object.entries(CLASS_OF)) {
      const err = errorFromCode(code, `detail of ${code}`);
      expect(err).toBeInstanceOf(BatonError);
      expect(err).toBeInstanceOf(Error);
      expect([err.name, err.code, err.message]).toEqual([name, code, `detail of ${code}`]);
      expect(err.retryable).toBe(
        code === 'version_conflict' || code === 'backend_unavailable' || code === 'watch_overflow',
      );
    }
  });

  it('keeps the fields a problem body carries', () => {
    const timeout = errorFromCode('lock_timeout', 'slow', { lock: 'jobs', waitMs: 250 });
    expect(timeout).toBeInstanceOf(LockTimeoutError);
    expect(timeout).toMatchObject({ lock: 'jobs', waitMs: 250 });
    const stale = errorFromCode('stale_fence', 'refused', { lock: 'jobs', fence: 7, reason: 'not_holder' });
    expect(stale).toBeInstanceOf(StaleFenceError);
    expect(stale).toMatchObject({ lock: 'jobs', fence: 7, detail: 'not_holder' });
  });

  it('turns an unknown code, or a name of an Object property, into BackendUnavailableError', () => {
    for (const code of ['', 'no_such_code', 'constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      const err = errorFromCode(code, 'odd');
      expect(err).toBeInstanceOf(BackendUnavailableError);
      expect([err.code, err.message, err.retryable]).toEqual(['backend_unavailable', 'odd', true]);
    }
  });
});

describe('message-only error classes', () => {
  it('carry their own name, code and cause, and are told apart by instanceof', () => {
    const classes = [
      [TypeMismatchError, 'type_mismatch'],
      [InvalidArgumentError, 'invalid_argument'],
      [PayloadTooLargeError, 'payload_too_large'],
      [NotFoundError, 'not_found'],
      [UnsupportedError, 'unsupported'],
      [UnauthorizedError, 'unauthorized'],
      [ForbiddenError, 'forbidden'],
    ] as const;
    const cause = new Error('underneath');
    for (const [Class, code] of classes) {
      const err = new Class('what happened', { cause });
      expect([err.name, err.code, err.message, err.cause]).toEqual([
        Class.name,
        code,
        'what happened',
        cause,
      ]);
      expect(err.stack).toContain(Class.name);
      for (const [Other] of classes) expect(err instanceof Other).toBe(Other === Class);
    }
  });
});
