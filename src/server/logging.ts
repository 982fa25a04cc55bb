/**
 * Logging: pino for the server, and the request middleware that gives every request an id
 * (the caller's `X-Request-Id` when it is a short plain string, else a random UUID; echoed in the
 * response header and in problem bodies) and logs one line when it completes: `request
 * completed` at info, or `request errored` at error for a 5xx, with `req` (id, method, URL,
 * remote address), `res` (status) and `responseTime` in ms — the line pino-http writes — and, for
 * a problem response, its `code` (so a 409 says `stale_fence` or `lock_timeout`).
 *
 * Written here instead of using pino-http: pino-http makes a child logger for every request,
 * serializing and redacting the request into it, and hangs six properties and three listeners on
 * req/res, whether or not a line is ever written; under load that was 14 % of the server's CPU
 * (bench B6, `--cpu-prof`). This middleware writes the same line from the server's logger, and
 * builds nothing when the line's level is off.
 *
 * Secrets never reach the log: the request line keeps only id, method, URL and remote
 * address (no headers, so neither `Authorization` nor `Baton-Lock-Token`), bodies are never
 * logged (lock tokens travel in bodies), and `redact` removes those fields anyway should a
 * caller log a whole request or body.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type DestinationStream, type Logger, type LoggerOptions, pino } from 'pino';

declare module 'node:http' {
  interface IncomingMessage {
    /** id is the request id (set by httpLogger). */
    id?: string;
    /** log is the server's logger (set by httpLogger), for handlers that log about a request. */
    log?: Logger;
  }
  interface ServerResponse {
    /** problemCode is the `code` of the problem this response carries (set by sendProblem), for the log line. */
    problemCode?: string;
  }
}

/** REDACT lists the paths pino blanks out wherever they appear in a log record. */
export const REDACT: readonly string[] = [
  'req.headers.authorization',
  'req.headers["baton-lock-token"]',
  'headers.authorization',
  'headers["baton-lock-token"]',
  'token',
  '*.token',
  'body',
  '*.body',
];

/** createLogger makes the server's pino logger (JSON lines to stdout, or to `destination`). */
export function createLogger(options: { level?: string; destination?: DestinationStream } = {}): Logger {
  const opts: LoggerOptions = {
    level: options.level ?? 'info',
    base: { service: 'baton' },
    redact: { paths: [...REDACT], censor: '[redacted]' },
  };
  return options.destination ? pino(opts, options.destination) : pino(opts);
}

const REQUEST_ID_RE = /^[A-Za-z0-9._:-]{1,100}$/;

/**
 * httpLogger returns the request middleware bound to `logger`: request id, `X-Request-Id`
 * header, one log line per finished (or abandoned) request.
 */
export function httpLogger(logger: Logger) {
  return (req: IncomingMessage, res: ServerResponse, next: () => void): void => {
    const given = req.headers['x-request-id'];
    const id = typeof given === 'string' && REQUEST_ID_RE.test(given) ? given : randomUUID();
    req.id = id;
    req.log = logger;
    res.setHeader('X-Request-Id', id);
    const started = Date.now();
    let done = false;
    const complete = () => {
      if (done) return;
      done = true;
      const failed = res.statusCode >= 500;
      const level = failed ? 'error' : 'info';
      if (!logger.isLevelEnabled(level)) return;
      const line = {
        req: { id, method: req.method, url: req.url, remoteAddress: req.socket.remoteAddress },
        res: { statusCode: res.statusCode },
        responseTime: Date.now() - started,
        ...(res.problemCode !== undefined ? { code: res.problemCode } : {}),
      };
      if (failed) logger.error(line, 'request errored');
      else logger.info(line, 'request completed');
    };
    res.once('finish', complete);
    res.once('close', complete);
    next();
  };
}
