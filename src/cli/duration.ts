/**
 * Durations on the command line: a whole number of milliseconds (`1500`) or a number with a unit
 * (`500ms`, `10s`, `1.5s`, `5m`, `2h`, `1d`). Written by hand because no maintained parser is
 * installed and the grammar is six lines; everything inside baton is milliseconds.
 *
 * How it fails: parseDuration throws InvalidArgumentError naming the text for anything else —
 * a negative or empty value, an unknown unit, a fraction of a millisecond, or more than
 * 2^31-1 ms (about 24.8 days, the longest TTL or wait baton accepts).
 */
import { InvalidArgumentError } from '../errors.js';
import { MAX_TTL_MS } from '../validation.js';

const UNIT_MS: Readonly<Record<string, number>> = Object.freeze({
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
});

const DURATION_RE = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/;

/** parseDuration turns `500ms`, `10s`, `5m`, `2h`, `1d` or `1500` (ms) into integer milliseconds, at least `minMs`. */
export function parseDuration(text: string, minMs = 0): number {
  const m = DURATION_RE.exec(text.trim());
  if (!m?.[1]) {
    throw new InvalidArgumentError(
      `"${text}" is not a duration: give milliseconds (1500) or a number with ms, s, m, h or d (500ms, 10s, 5m)`,
    );
  }
  const ms = Number(m[1]) * (UNIT_MS[m[2] ?? 'ms'] ?? 1);
  if (!Number.isInteger(ms)) {
    throw new InvalidArgumentError(`"${text}" is not a whole number of milliseconds`);
  }
  if (ms < minMs || ms > MAX_TTL_MS) {
    throw new InvalidArgumentError(
      `"${text}" is out of range: give ${formatDuration(minMs)} to ${formatDuration(MAX_TTL_MS)}`,
    );
  }
  return ms;
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
