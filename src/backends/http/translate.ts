/**
 * The http backend's one error translator. A problem+json answer becomes the typed error its
 * `code` names (errorFromCode, with the problem's extension fields), so a caller sees the same
 * LockLostError or VersionConflictError as on any other backend. The server's own codes map to
 * the closest library error: `rate_limited` and `internal` to BackendUnavailableError
 * (retryable), `method_not_allowed` and `unsupported_media_type` to InvalidArgumentError (fix the
 * call); `unauthorized` and `forbidden` become UnauthorizedError and ForbiddenError. Anything that is not problem+json, and every
 * transport failure, is BackendUnavailableError.
 */
import type { IncomingHttpHeaders } from 'node:http';
import {
  BackendUnavailableError,
  type BatonError,
  errorFromCode,
  InvalidArgumentError,
  isBatonError,
} from '../../errors.js';

const CALLER_MISTAKES = new Set(['method_not_allowed', 'unsupported_media_type']);

/** problemError turns an error answer into a typed error. */
export function problemError(
  status: number,
  headers: IncomingHttpHeaders,
  text: string,
  origin: string,
): BatonError {
  const type = String(headers['content-type'] ?? '');
  if (type.startsWith('application/problem+json')) {
    let body: Record<string, unknown> | undefined;
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed))
        body = parsed as Record<string, unknown>;
    } catch {
      body = undefined;
    }
    const code = typeof body?.code === 'string' ? body.code : '';
    const detail = typeof body?.detail === 'string' ? body.detail : `HTTP ${status}`;
    if (body && code) {
      if (CALLER_MISTAKES.has(code))
        return new InvalidArgumentError(`${detail} (HTTP ${status} ${code} from ${origin})`);
      if (code === 'rate_limited' || code === 'internal') {
        return new BackendUnavailableError(`${detail} (HTTP ${status} ${code} from ${origin})`);
      }
      return errorFromCode(code, detail, body);
    }
  }
  return new BackendUnavailableError(`${origin} answered HTTP ${status} without a problem description`);
}

/** transportError turns a failed request (refused, reset, TLS, DNS…) into BackendUnavailableError. */
export function transportError(err: unknown, origin: string): BatonError {
  if (isBatonError(err)) return err;
  const e = err as { code?: unknown; cause?: { code?: unknown }; message?: unknown };
  const code =
    typeof e.code === 'string' ? e.code : typeof e.cause?.code === 'string' ? e.cause.code : undefined;
  const why = code ?? (typeof e.message === 'string' ? e.message : 'unknown error');
  return new BackendUnavailableError(`cannot reach baton server ${origin}: ${why}`, { cause: err });
}
