/**
 * The backend-neutral helpers of src/backends/common: the list cursor, the incr rule and the byte
 * order every backend shares. The conformance suite checks them through each backend; this file
 * checks the edges directly: cursors that were not made by encodeCursor, sums that leave the
 * finite numbers, and the names on which UTF-8 byte order and JavaScript's string order disagree.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { byteOrder } from '../../src/backends/common/byte-order.js';
import { decodeCursor, encodeCursor } from '../../src/backends/common/cursor.js';
import { incremented, jsonKind, storedNumber } from '../../src/backends/common/incr.js';
import { InvalidArgumentError, TypeMismatchError } from '../../src/errors.js';

describe('list cursor', () => {
  it('decodes every cursor it made back to its key', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 1 }), (key) => {
        expect(decodeCursor(encodeCursor(key))).toBe(key);
      }),
    );
  });

  it('refuses a cursor it did not make with InvalidArgumentError', () => {
    // '' (an empty key), padding, a non-canonical tail bit, invalid UTF-8 (0xff), plain text.
    for (const bad of ['', 'YQ==', 'YR', Buffer.from([0xff]).toString('base64url'), 'not a cursor!']) {
      expect(() => decodeCursor(bad), bad).toThrow(InvalidArgumentError);
    }
  });
});

describe('incr rule', () => {
  it('counts an absent entry as 0 and adds to a stored number', () => {
    expect(incremented('k', storedNumber('k', undefined), 5)).toBe(5);
    expect(incremented('k', storedNumber('k', '-2.5'), 1)).toBe(-1.5);
  });

  it('refuses a stored value that is not a number with TypeMismatchError naming what it is', () => {
    const cases: Array<[string, string]> = [
      ['"7"', 'a string'],
      ['{}', 'an object'],
      ['[1]', 'an array'],
      ['true', 'a boolean'],
      ['null', 'null'],
    ];
    for (const [stored, kind] of cases) {
      expect(jsonKind(JSON.parse(stored))).toBe(kind);
      expect(() => storedNumber('k', stored)).toThrow(TypeMismatchError);
      expect(() => storedNumber('k', stored)).toThrow(`its value is ${kind}, not a number`);
    }
  });

  it('refuses a sum that would overflow to ±Infinity with InvalidArgumentError', () => {
    expect(() => incremented('k', Number.MAX_VALUE, Number.MAX_VALUE)).toThrow(InvalidArgumentError);
    expect(() => incremented('k', -Number.MAX_VALUE, -Number.MAX_VALUE)).toThrow(
      'would overflow to -Infinity',
    );
    expect(incremented('k', Number.MAX_VALUE, 0)).toBe(Number.MAX_VALUE);
  });
});

describe('byteOrder', () => {
  it('orders by UTF-8 bytes, where UTF-16 order differs (U+FFFD before U+1F600)', () => {
    const names = ['\u{1F600}', '\uFFFD', 'é', 'a', 'B'];
    // UTF-16 code units put the surrogate pair (0xD83D…) before U+FFFD; UTF-8 (EF BF BD < F0 9F…) does not.
    expect([...names].sort()).toEqual(['B', 'a', 'é', '\u{1F600}', '\uFFFD']);
    expect([...names].sort(byteOrder)).toEqual(['B', 'a', 'é', '\uFFFD', '\u{1F600}']);
  });

  it('agrees with comparing the UTF-8 encodings byte by byte, for any strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' }), (a, b) => {
        const x = [...Buffer.from(a, 'utf8')];
        const y = [...Buffer.from(b, 'utf8')];
        let expected = 0;
        for (let i = 0; i < Math.min(x.length, y.length) && expected === 0; i++) expected = x[i]! - y[i]!;
        if (expected === 0) expected = x.length - y.length;
        expect(Math.sign(byteOrder(a, b))).toBe(Math.sign(expected));
      }),
    );
  });
});
