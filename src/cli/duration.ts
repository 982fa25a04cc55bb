/**
 * Durations on the command line. A number with a unit (`500ms`, `10s`, `1.5s`, `5m`, `2h`, `1d`)
 * means what it says; a bare number (`30`, `0.5`) is seconds, as in `flock -w 10` and
 * `timeout 30` — except for the flags and variables whose name carries the unit (`--shutdown-ms`,
 * `BATON_MAX_WAIT_MS`, …), where a bare number is milliseconds. Written by hand because no
 * maintained parser is installed and the grammar is a few lines; everything inside baton is
 * milliseconds. The arithmetic is exact (BigInt), so `1.001s` is 1001 ms, not 1000.9999….
 *
 * How it fails: parseDuration throws InvalidArgumentError naming the text (durationArg turns it
 * into commander's usage error: exit status 2, one line) for anything else —
 * an empty or negative value, NaN, an exponent, an unknown unit, a fraction of a millisecond, or
 * more than 2^31-1 ms (about 24.8 days, the longest TTL or wait baton accepts).
 */
import { InvalidArgumentError as UsageError } from 'commander';
import { InvalidArgumentError, isBatonError } from '../errors.js';
import { MAX_TTL_MS } from '../validation.js';

const UNIT_MS: Readonly<Record<string, bigint>> = Object.freeze({
  ms: 1n,
  s: 1_000n,
  m: 60_000n,
  h: 3_600_000n,
  d: 86_400_000n,
});

/** BareUnit is what a number without a unit means: seconds (the default) or milliseconds. */
export type BareUnit = 's' | 'ms';

const SECONDS_HINT = 'a bare number is seconds (10, 0.5), or give a unit: 500ms, 10s, 1.5s, 5m, 2h, 1d';
const MS_HINT =
  'a bare number is milliseconds here (the unit is in the name), or give a unit: 500ms, 10s, 5m';

// Digits with an optional fraction, or a fraction alone (.5), then an optional unit. The length
// cap bounds the work and the size of the error message for absurd input.
const DURATION_RE = /^(\d*)(?:\.(\d+))?(ms|s|m|h|d)?$/;
const MAX_TEXT = 40;

/**
 * parseDuration turns `500ms`, `10s`, `1.5s`, `5m`, `2h`, `1d` or a bare number (seconds, or
 * milliseconds with `bare: 'ms'`) into integer milliseconds from `min` to 2^31-1.
 */
export function parseDuration(text: string, min = 0, bare: BareUnit = 's'): number {
  const t = text.trim();
  const shown = JSON.stringify(text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}…` : text);
  const m = t.length <= MAX_TEXT ? DURATION_RE.exec(t) : null;
  const whole = m?.[1] ?? '';
  const fraction = m?.[2] ?? '';
  if (!m || (whole === '' && fraction === '')) {
    throw new InvalidArgumentError(
      t.startsWith('-')
        ? `${shown} is negative: a duration is 0 or more`
        : `${shown} is not a duration: ${bare === 's' ? SECONDS_HINT : MS_HINT}`,
    );
  }
  const scale = 10n ** BigInt(fraction.length);
  const scaled = BigInt(`${whole}${fraction}` || '0') * (UNIT_MS[m[3] ?? bare] ?? 1n);
  if (scaled % scale !== 0n) {
    throw new InvalidArgumentError(`${shown} is not a whole number of milliseconds`);
  }
  const ms = scaled / scale;
  if (ms < BigInt(min) || ms > BigInt(MAX_TTL_MS)) {
    throw new InvalidArgumentError(
      `${shown} is out of range: give ${formatDuration(min)} to ${MAX_TTL_MS}ms (about 24.8 days)`,
    );
  }
  return Number(ms);
}

/**
 * durationArg parses a duration flag (`500ms`, `10s`, `5m`; a bare number is seconds, or
 * milliseconds with `bare: 'ms'` for flags named `…-ms`) of at least `minMs`.
 */
export function durationArg(minMs: number, bare: BareUnit = 's'): (text: string) => number {
  return (text) => {
    try {
      return parseDuration(text, minMs, bare);
    } catch (err) {
      throw new UsageError(isBatonError(err) ? err.message : String(err));
    }
  };
}

/** formatDuration renders milliseconds for people: `750ms`, `12s`, `1.5s`, `5m`, `2h 30m`. It never throws. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return 'forever';
  const abs = Math.max(0, Math.round(ms));
  if (abs < 1_000) return `${abs}ms`;
  if (abs < 60_000) return `${Number((abs / 1_000).toFixed(abs < 10_000 ? 1 : 0))}s`;
  if (abs < 3_600_000 - 500) {
    const seconds = Math.round(abs / 1_000);
    const s = seconds % 60;
    return s ? `${Math.floor(seconds / 60)}m ${s}s` : `${seconds / 60}m`;
  }
  const minutes = Math.round(abs / 60_000);
  const m = minutes % 60;
  return m ? `${Math.floor(minutes / 60)}h ${m}m` : `${minutes / 60}h`;
}
