/**
 * The arithmetic of a dict's `incr`, as every backend applies it: the stored value must be a JSON
 * number (an absent entry counts as 0), and the sum must stay finite. Backends that compute the
 * sum elsewhere (Redis, in Lua) build the same errors from the script's reply with
 * notANumberError and overflowError, so the messages match across backends.
 *
 * How it fails: TypeMismatchError when the stored value is not a number; InvalidArgumentError
 * when the sum would overflow to ±Infinity.
 */
import { InvalidArgumentError, TypeMismatchError } from '../../errors.js';

/**
 * jsonKind names what a decoded JSON value is, with its article, for messages: 'null',
 * 'an array', 'an object', 'a string', 'a boolean'.
 */
export function jsonKind(value: unknown): string {
  if (value === null) return 'null';
  return withArticle(Array.isArray(value) ? 'array' : typeof value);
}

/** withArticle puts 'a' or 'an' before a kind name ('null' stays as it is). */
export function withArticle(kind: string): string {
  if (kind === 'null') return 'null';
  return /^[aeiou]/.test(kind) ? `an ${kind}` : `a ${kind}`;
}

/** notANumberError is the TypeMismatchError of an incr on `key`, whose value is `kind` (jsonKind). */
export function notANumberError(key: string, kind: string): TypeMismatchError {
  return new TypeMismatchError(`incr on key ${JSON.stringify(key)}: its value is ${kind}, not a number`);
}

/** overflowError is the InvalidArgumentError of an incr on `key` whose sum (when known) is not finite. */
export function overflowError(key: string, sum?: number): InvalidArgumentError {
  return new InvalidArgumentError(
    `incr on key ${JSON.stringify(key)} would overflow${sum === undefined ? '' : ` to ${sum}`}`,
  );
}

/**
 * storedNumber reads the number an incr adds to: the JSON text stored at `key`, or 0 when the
 * entry is absent (`stored` undefined). TypeMismatchError when it is not a JSON number.
 */
export function storedNumber(key: string, stored: string | undefined): number {
  if (stored === undefined) return 0;
  const parsed: unknown = JSON.parse(stored);
  if (typeof parsed !== 'number') throw notANumberError(key, jsonKind(parsed));
  return parsed;
}

/** incremented is `current + by`; InvalidArgumentError (overflowError) when that is not finite. */
export function incremented(key: string, current: number, by: number): number {
  const next = current + by;
  if (!Number.isFinite(next)) throw overflowError(key, next);
  return next;
}
