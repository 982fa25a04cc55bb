/**
 * parseDuration and formatDuration: the CLI's duration grammar. A bare number is seconds, as in
 * `flock -w 10` and `timeout 30` (it was milliseconds, so `--ttl 30` took a 30 ms lease); flags
 * named in milliseconds (`--shutdown-ms`) ask for `bare: 'ms'`. A unit always says what it means.
 */
import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../src/cli/duration.js';
import { InvalidArgumentError } from '../../src/index.js';

describe('parseDuration', () => {
  it.each([
    ['30', 30_000],
    ['2', 2_000],
    ['0.5', 500],
    ['.5', 500],
    ['1.001', 1_001],
    ['0', 0],
    ['500ms', 500],
    ['10s', 10_000],
    ['1.5s', 1_500],
    ['5m', 300_000],
    ['0.1m', 6_000],
    ['2h', 7_200_000],
    ['1d', 86_400_000],
    [' 30s ', 30_000],
    ['2147483', 2_147_483_000],
    ['2147483647ms', 2 ** 31 - 1],
  ])('%j is %i ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each([
    ['1500', 1_500],
    ['10s', 10_000],
    ['0.5s', 500],
    ['2147483647', 2 ** 31 - 1],
  ])("with bare: 'ms', %j is %i ms", (text, ms) => {
    expect(parseDuration(text, 0, 'ms')).toBe(ms);
  });

  it.each([
    ['', /is not a duration: a bare number is seconds/],
    ['s', /is not a duration/],
    ['10x', /"10x" is not a duration/],
    ['10 s', /is not a duration/],
    ['10sec', /is not a duration/],
    ['1m30s', /is not a duration/],
    ['5.', /is not a duration/],
    ['1e3', /is not a duration/],
    ['NaN', /is not a duration/],
    ['Infinity', /is not a duration/],
    ['forever', /is not a duration/],
    ['-1', /^"-1" is negative: a duration is 0 or more/],
    ['-0.5s', /is negative/],
    ['0.0005', /not a whole number of milliseconds/],
    ['0.5ms', /not a whole number of milliseconds/],
    ['25d', /out of range/],
    ['2147484', /out of range/],
    ['99999999999999999999999999', /out of range/],
  ])('refuses %j with InvalidArgumentError', (text, message) => {
    expect(() => parseDuration(text)).toThrow(InvalidArgumentError);
    expect(() => parseDuration(text)).toThrow(message);
  });

  it("refuses past 2^31-1 ms and fractions of a millisecond with bare: 'ms' too", () => {
    expect(() => parseDuration('2147483648', 0, 'ms')).toThrow(/out of range/);
    expect(() => parseDuration('1.5', 0, 'ms')).toThrow(/not a whole number of milliseconds/);
    expect(() => parseDuration('x', 0, 'ms')).toThrow(/a bare number is milliseconds here/);
  });

  it('enforces the minimum it is given', () => {
    expect(() => parseDuration('0', 1)).toThrow(
      /out of range: give 1ms to 2147483647ms \(about 24\.8 days\)/,
    );
    expect(parseDuration('1ms', 1)).toBe(1);
  });

  it('keeps a long text out of the error message', () => {
    expect(() => parseDuration('9'.repeat(1000))).toThrow(InvalidArgumentError);
    expect(() => parseDuration('9'.repeat(1000))).toThrow(/^"9{40}…" is not a duration/);
  });
});

describe('formatDuration', () => {
  it.each([
    [750, '750ms'],
    [1_500, '1.5s'],
    [12_000, '12s'],
    [300_000, '5m'],
    [90_000, '1m 30s'],
    [9_000_000, '2h 30m'],
    [3_600_000, '1h'],
    [-5, '0ms'],
    [Number.POSITIVE_INFINITY, 'forever'],
  ])('%i ms reads %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});
