/**
 * Problems: the one place where failures become HTTP. Every error a route or middleware throws —
 * baton's typed errors, the server's own HttpProblem, body-parser and path-decoding errors —
 * becomes an RFC 9457 `application/problem+json` body with baton's `code`, and one status per
 * code (the table in docs/REST-API). Anything else is a 500 that is logged with its stack and the
 * request id; the body then says only "internal error" and never carries a stack or a message
 * from inside the server.
 */
import type { ErrorRequestHandler, Request, Response } from 'express';
import type { Logger } from 'pino';
import { type ErrorCode, isBatonError } from '../index.js';
import { closeUnread } from './linger.js';

/** ProblemCode is every `code` a problem body can carry: the library's plus the server's own. */
export type ProblemCode =
  | ErrorCode
  | 'unauthorized'
  | 'forbidden'
  | 'method_not_allowed'
  | 'unsupported_media_type'
  | 'rate_limited'
  | 'too_many_watches'
  | 'internal';

/** STATUS_OF maps each code to its one HTTP status. */
export const STATUS_OF: Readonly<Record<ProblemCode, number>> = Object.freeze({
  invalid_argument: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  lock_timeout: 409,
  lock_lost: 409,
  lock_not_held: 409,
  stale_fence: 409,
  type_mismatch: 409,
  history_compacted: 410,
  version_conflict: 412,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  too_many_watches: 429,
  internal: 500,
  unsupported: 501,
  backend_unavailable: 503,
  watch_overflow: 503,
});

const TITLES: Readonly<Record<number, string>> = Object.freeze({
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  410: 'Gone',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
});

/** Problem is a problem+json body before it is sent. */
export interface Problem {
  readonly code: ProblemCode;
  readonly status: number;
  readonly detail: string;
  readonly extra: Readonly<Record<string, string | number | boolean | readonly unknown[]>>;
  readonly headers: Readonly<Record<string, string>>;
}

/** HttpProblem is an error the server raises itself (auth, validation, rate limit, method). */
export class HttpProblem extends Error {
  readonly problem: Problem;
  constructor(
    code: ProblemCode,
    detail: string,
    extra: Problem['extra'] = {},
    headers: Problem['headers'] = {},
  ) {
    super(detail);
    this.problem = { code, status: STATUS_OF[code], detail, extra, headers };
  }
}

// Public fields of baton's typed errors that help a client (and errorFromCode) rebuild them.
const EXTRA_FIELDS = [
  'lock',
  'waitMs',
  'key',
  'expected',
  'actual',
  'fence',
  'fromVersion',
  'oldestVersion',
  'lastVersion',
  'limitBytes',
];

/** problemOf classifies any thrown value; `internal` means it was not expected. */
export function problemOf(err: unknown): Problem {
  if (err instanceof HttpProblem) return err.problem;
  if (isBatonError(err)) {
    const extra: Record<string, string | number> = {};
    const fields = err as unknown as Record<string, unknown>;
    for (const f of EXTRA_FIELDS) {
      const v = fields[f];
      if (typeof v === 'string' || typeof v === 'number') extra[f] = v;
    }
    // LockLostError.reason and StaleFenceError.detail say why; both go out as `reason`.
    const why = err.code === 'stale_fence' ? fields.detail : fields.reason;
    if (typeof why === 'string') extra.reason = why;
    const headers: Record<string, string> =
      err.code === 'backend_unavailable' || err.code === 'watch_overflow' ? { 'Retry-After': '1' } : {};
    return { code: err.code, status: STATUS_OF[err.code], detail: err.message, extra, headers };
  }
  const status = httpStatusOf(err);
  if (status === 413) return plain('payload_too_large', 'request body is larger than the limit');
  if (status === 415) return plain('unsupported_media_type', messageOf(err, 'unsupported content encoding'));
  if (status !== undefined && status >= 400 && status < 500) {
    return plain('invalid_argument', messageOf(err, 'bad request'));
  }
  return plain('internal', 'internal error; the server log has the details under this request id');
}

/**
 * sendProblem writes a problem+json response (unless the response has already started). When the
 * request's body is still unread, the connection is closed after the answer, lingering at most
 * `lingerMs` (default 2000) for the client to close first.
 */
export function sendProblem(req: Request, res: Response, problem: Problem, lingerMs = 2000): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const requestId = String(req.id ?? '');
  // A refusal sent before the body was read (auth, route, method, size): close the connection
  // after the answer, so Node does not drain a body of any size or speed (see linger.ts).
  if (!req.complete) closeUnread(req, res, lingerMs);
  for (const [name, value] of Object.entries(problem.headers)) res.setHeader(name, value);
  res.problemCode = problem.code;
  res.status(problem.status).type('application/problem+json');
  res.send(
    JSON.stringify({
      type: `https://baton.dev/problems/${problem.code}`,
      title: TITLES[problem.status] ?? 'Error',
      status: problem.status,
      detail: problem.detail,
      code: problem.code,
      ...problem.extra,
      ...(requestId ? { requestId } : {}),
    }),
  );
}

/**
 * problemHandler is the app's last error middleware: log unexpected errors, answer with a problem
 * (`lingerMs`: see sendProblem).
 */
export function problemHandler(logger: Logger, lingerMs?: number): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const problem = problemOf(err);
    if (problem.code === 'internal') {
      (req.log ?? logger).error({ err, reqId: req.id }, 'unexpected error while handling a request');
    }
    sendProblem(req, res, problem, lingerMs);
  };
}

function plain(code: ProblemCode, detail: string): Problem {
  return { code, status: STATUS_OF[code], detail, extra: {}, headers: {} };
}

// http-errors (thrown by body-parser and by express when a path parameter fails to decode)
// carries `status` and `expose`; only exposed messages are safe to repeat.
function httpStatusOf(err: unknown): number | undefined {
  if (err === null || typeof err !== 'object') return undefined;
  const status = (err as { status?: unknown }).status ?? (err as { statusCode?: unknown }).statusCode;
  return typeof status === 'number' ? status : undefined;
}

function messageOf(err: unknown, fallback: string): string {
  const e = err as { expose?: unknown; message?: unknown };
  if (e.expose === true && typeof e.message === 'string') return e.message;
  if (err instanceof URIError) return 'a path parameter is not valid percent-encoded UTF-8';
  return fallback;
}
