/** parseDuration and formatDuration: the CLI's duration grammar (ms, or a number with ms/s/m/h/d). */
import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../src/cli/duration.js';
import { InvalidArgumentError } from '../../src/index.js';

describe('parseDuration', () => {
  it.each([
    ['1500', 1500],
    ['0', 0],
    ['500ms', 500],
    ['10s', 10_000],
    ['1.5s', 1_500],
    ['5m', 300_000],
    ['2h', 7_200_000],
    ['1d', 86_400_000],
    [' 30s ', 30_000],
    ['2147483647', 2 ** 31 - 1],
  ])('%s is %i ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', 's', '-1', '10 s', '10sec', '1e3', '0.5ms', '1m30s', 'forever', '25d'])(
    'refuses %j with InvalidArgumentError',
    (text) => {
      expect(() => parseDuration(text)).toThrow(InvalidArgumentError);
    },
  );

  it('enforces the minimum it is given', () => {
    expect(() => parseDuration('0', 1)).toThrow(/out of range: give 1ms to/);
    expect(parseDuration('1ms', 1)).toBe(1);
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
