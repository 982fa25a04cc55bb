/**
 * The value codec: JSON, strictly. A value is checked before anything is written, so a dict
 * never holds something that would not read back equal: `undefined` (anywhere), functions,
 * symbols, BigInt, NaN and ±Infinity, cycles, Map/Set and other non-plain objects without
 * `toJSON` are refused with InvalidArgumentError naming where the bad part is. Objects with a
 * `toJSON` (Date, for one) are stored as what it returns, as JSON.stringify would.
 */
import { InvalidArgumentError, PayloadTooLargeError } from '../errors.js';

/** JsonValue is any value a dict can hold. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** DEFAULT_MAX_VALUE_BYTES is the default limit on one encoded value: 1 MiB. */
export const DEFAULT_MAX_VALUE_BYTES = 1024 * 1024;

const MAX_DEPTH = 512;

/** encodeValue checks `value` and returns its JSON text; throws InvalidArgumentError or PayloadTooLargeError. */
export function encodeValue(value: unknown, maxBytes: number = DEFAULT_MAX_VALUE_BYTES): string {
  check(value, '', new Set(), 0);
  const text = JSON.stringify(value);
  // JSON text is mostly ASCII; only measure bytes when the length alone could exceed the limit.
  if (text.length * 3 > maxBytes) {
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes > maxBytes) {
      throw new PayloadTooLargeError(`value is ${bytes} bytes encoded; the limit is ${maxBytes}`);
    }
  }
  return text;
}

/** decodeValue parses stored JSON text. */
export function decodeValue<T>(text: string): T {
  return JSON.parse(text) as T;
}

function check(value: unknown, path: string, seen: Set<object>, depth: number): void {
  const where = path === '' ? 'value' : `value${path}`;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return;
    case 'number':
      if (!Number.isFinite(value))
        throw new InvalidArgumentError(`${where} is ${value}, which JSON cannot hold`);
      return;
    case 'undefined':
      throw new InvalidArgumentError(`${where} is undefined, which JSON cannot hold (use null)`);
    case 'bigint':
      throw new InvalidArgumentError(`${where} is a BigInt, which JSON cannot hold (store it as a string)`);
    case 'function':
    case 'symbol':
      throw new InvalidArgumentError(`${where} is a ${typeof value}, which JSON cannot hold`);
  }
  if (value === null) return;
  const obj = value as object;
  if (depth > MAX_DEPTH) throw new InvalidArgumentError(`${where} is nested deeper than ${MAX_DEPTH} levels`);
  if (seen.has(obj))
    throw new InvalidArgumentError(`${where} is a cycle (refers to one of its own ancestors)`);
  if (typeof (obj as { toJSON?: unknown }).toJSON === 'function') {
    check((obj as { toJSON: (k: string) => unknown }).toJSON(''), path, seen, depth + 1);
    return;
  }
  seen.add(obj);
  if (Array.isArray(obj)) {
    for (let i = 0; i < obj.length; i++) check(obj[i], `${path}[${i}]`, seen, depth + 1);
  } else {
    const proto = Object.getPrototypeOf(obj);
    if (proto !== Object.prototype && proto !== null) {
      const kind = (obj as { constructor?: { name?: string } }).constructor?.name ?? 'object';
      throw new InvalidArgumentError(
        `${where} is a ${kind}, which JSON cannot hold faithfully (convert it to a plain object or array)`,
      );
    }
    for (const k of Object.keys(obj)) {
      check((obj as Record<string, unknown>)[k], `${path}[${JSON.stringify(k)}]`, seen, depth + 1);
    }
  }
  seen.delete(obj);
}
