/**
 * Input rules shared by every layer: names of locks and dicts, dict keys, durations. Each check
 * throws InvalidArgumentError with a message that names the argument; nothing is stored first.
 */
import { InvalidArgumentError } from './errors.js';

/** MAX_TTL_MS is the largest TTL or wait accepted: 2^31 - 1 ms (about 24.8 days). */
export const MAX_TTL_MS = 2 ** 31 - 1;
/** MAX_KEY_BYTES is the largest dict key, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;
/** MAX_NAME_LENGTH is the longest lock or dict name. */
export const MAX_NAME_LENGTH = 200;

const NAME_RE = /^[A-Za-z0-9._:-]{1,200}$/;

/** assertName checks a lock or dict name: 1-200 characters of A-Z a-z 0-9 . _ : - */
export function assertName(
  name: unknown,
  what: 'lock' | 'dict' | 'rwlock' | 'semaphore' | 'event' | 'barrier' | 'election' | 'group' = 'lock',
): string {
  if (typeof name !== 'string' || !NAME_RE.test(name)) {
    throw new InvalidArgumentError(
      `${what} name must be 1-${MAX_NAME_LENGTH} characters of A-Z a-z 0-9 . _ : - (got ${preview(name)})`,
    );
  }
  return name;
}

/** assertCount checks a permit count: an integer from 1 to `max`. */
export function assertCount(count: unknown, max: number, what = 'permits'): number {
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > max) {
    throw new InvalidArgumentError(`${what} must be an integer from 1 to ${max} (got ${preview(count)})`);
  }
  return count;
}

/** assertKey checks a dict key: a well-formed, non-empty string of at most 1024 UTF-8 bytes without NUL. */
export function assertKey(key: unknown): string {
  if (typeof key !== 'string' || key.length === 0) {
    throw new InvalidArgumentError(`key must be a non-empty string (got ${preview(key)})`);
  }
  if (key.includes('\u0000')) throw new InvalidArgumentError('key must not contain NUL (\\u0000)');
  if (!key.isWellFormed())
    throw new InvalidArgumentError('key must be valid Unicode (it has a lone surrogate)');
  const bytes = Buffer.byteLength(key, 'utf8');
  if (bytes > MAX_KEY_BYTES) {
    throw new InvalidArgumentError(`key must be at most ${MAX_KEY_BYTES} UTF-8 bytes (got ${bytes})`);
  }
  return key;
}

/** assertPrefix checks a key prefix for listing and watching: like a key, but may be empty. */
export function assertPrefix(prefix: unknown): string {
  if (prefix === undefined || prefix === '') return '';
  return assertKey(prefix);
}

/** assertTtl checks a TTL: an integer number of ms from 1 to 2^31-1. */
export function assertTtl(ttlMs: unknown, what = 'ttlMs'): number {
  if (typeof ttlMs !== 'number' || !Number.isInteger(ttlMs) || ttlMs < 1 || ttlMs > MAX_TTL_MS) {
    throw new InvalidArgumentError(
      `${what} must be an integer from 1 to ${MAX_TTL_MS} ms (got ${preview(ttlMs)})`,
    );
  }
  return ttlMs;
}

/** assertWait checks a wait: an integer number of ms from 0 to 2^31-1, or Infinity for no limit. */
export function assertWait(waitMs: unknown, what = 'waitMs'): number {
  if (waitMs === Number.POSITIVE_INFINITY) return waitMs;
  if (typeof waitMs !== 'number' || !Number.isInteger(waitMs) || waitMs < 0 || waitMs > MAX_TTL_MS) {
    throw new InvalidArgumentError(
      `${what} must be an integer from 0 to ${MAX_TTL_MS} ms, or Infinity (got ${preview(waitMs)})`,
    );
  }
  return waitMs;
}

/** assertVersion checks a version condition: an integer >= 0 (0 means "absent"). */
export function assertVersion(version: unknown, what = 'ifVersion'): number {
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 0) {
    throw new InvalidArgumentError(`${what} must be an integer >= 0 (got ${preview(version)})`);
  }
  return version;
}

/** assertLimit checks a page size: an integer from 1 to 10000. */
export function assertLimit(limit: unknown): number {
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > 10_000) {
    throw new InvalidArgumentError(`limit must be an integer from 1 to 10000 (got ${preview(limit)})`);
  }
  return limit;
}

/** preview renders a bad argument for an error message without dumping huge strings. */
export function preview(v: unknown): string {
  if (typeof v === 'string')
    return v.length > 40 ? `${JSON.stringify(v.slice(0, 40))}… (${v.length} chars)` : JSON.stringify(v);
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'function') return 'a function';
  if (typeof v === 'symbol') return 'a symbol';
  if (typeof v === 'number') return Number.isNaN(v) ? 'NaN' : String(v);
  if (v === undefined) return 'undefined';
  if (v === null) return 'null';
  return typeof v;
}
