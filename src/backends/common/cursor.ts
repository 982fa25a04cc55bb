/**
 * The list cursor every dict backend hands out: the last key of a page, base64url-encoded, so a
 * cursor is opaque to callers and means the same on every backend (a page resumes strictly after
 * that key, in the backend's key order).
 *
 * How it fails: decodeCursor throws InvalidArgumentError for any text encodeCursor did not make
 * (not base64url, not the canonical encoding, an empty key, or bytes that are not UTF-8).
 */
import { InvalidArgumentError } from '../../errors.js';

/** encodeCursor makes the opaque cursor that resumes a listing after `key`. */
export function encodeCursor(key: string): string {
  return Buffer.from(key, 'utf8').toString('base64url');
}

/** decodeCursor reverses encodeCursor; InvalidArgumentError for anything it did not make. */
export function decodeCursor(cursor: string): string {
  const key = Buffer.from(cursor, 'base64url').toString('utf8');
  if (key === '' || encodeCursor(key) !== cursor) {
    throw new InvalidArgumentError('cursor is not one this dict returned');
  }
  return key;
}
