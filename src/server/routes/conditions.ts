/**
 * Conditions carried by headers: the fenced-write headers (Baton-Fence-Lock, Baton-Fence,
 * Baton-Lock-Token) and the ETag preconditions (If-Match, If-None-Match: *). The header values
 * are already shape-checked by the route schemas; these functions check how they combine and
 * throw HttpProblem `invalid_argument` for a combination that makes no sense.
 */
import { type ErrorCode, type FenceSource, isBatonError } from '../../index.js';
import type { ServerMetrics } from '../metrics.js';
import { HttpProblem } from '../problems.js';

/** fenceFrom reads the fence headers: none, or a lock and fence (and optionally the lease token). */
export function fenceFrom(h: {
  'baton-fence-lock'?: string | undefined;
  'baton-fence'?: string | undefined;
  'baton-lock-token'?: string | undefined;
}): FenceSource | undefined {
  const lock = h['baton-fence-lock'];
  const fence = h['baton-fence'];
  const token = h['baton-lock-token'];
  if (lock === undefined && fence === undefined) {
    if (token !== undefined) {
      throw new HttpProblem('invalid_argument', 'Baton-Lock-Token needs Baton-Fence-Lock and Baton-Fence');
    }
    return undefined;
  }
  if (lock === undefined || fence === undefined) {
    throw new HttpProblem('invalid_argument', 'Baton-Fence-Lock and Baton-Fence must be given together');
  }
  return { lock, fence: Number(fence), token };
}

/** ifVersionFrom turns If-Match: "n" into n and If-None-Match: * into 0 (only if absent). */
export function ifVersionFrom(h: {
  'if-match'?: string | undefined;
  'if-none-match'?: string | undefined;
}): number | undefined {
  const match = h['if-match'];
  const noneMatch = h['if-none-match'];
  if (match !== undefined && noneMatch !== undefined) {
    throw new HttpProblem('invalid_argument', 'give If-Match or If-None-Match, not both');
  }
  if (noneMatch !== undefined) return 0;
  return match === undefined ? undefined : Number(match.slice(1, -1));
}

/** etag renders a version as a strong ETag. */
export function etag(version: number): string {
  return `"${version}"`;
}

/** counted runs a dict operation and counts it in the metrics by outcome (ok or the error code). */
export async function counted<T>(metrics: ServerMetrics, op: string, fn: () => Promise<T>): Promise<T> {
  try {
    const r = await fn();
    metrics.dictOps.inc({ op, outcome: 'ok' });
    return r;
  } catch (err) {
    const outcome: ErrorCode | 'error' = isBatonError(err) ? err.code : 'error';
    metrics.dictOps.inc({ op, outcome });
    throw err;
  }
}
