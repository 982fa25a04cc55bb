/**
 * Logging: pino for the server, and the pino-http middleware that gives every request an id
 * (the caller's `X-Request-Id` when it is a short plain string, else a random UUID; echoed in the
 * response header and in problem bodies) and logs one line when it completes.
 *
 * Secrets never reach the log: the request serializer keeps only id, method, URL and remote
 * address (no headers, so neither `Authorization` nor `Baton-Lock-Token`), bodies are never
 * logged (lock tokens travel in bodies), and `redact` removes those fields anyway should a
 * caller log a whole request or body.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type DestinationStream, type Logger, type LoggerOptions, pino } from 'pino';
import { pinoHttp } from 'pino-http';

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

/** httpLogger returns the request-logging middleware bound to `logger`. */
export function httpLogger(logger: Logger) {
  return pinoHttp({
    logger,
    genReqId(req: IncomingMessage, res: ServerResponse) {
      const given = req.headers['x-request-id'];
      const id = typeof given === 'string' && REQUEST_ID_RE.test(given) ? given : randomUUID();
      res.setHeader('X-Request-Id', id);
      return id;
    },
    serializers: {
      req: (req: { id?: unknown; method?: string; url?: string; remoteAddress?: string }) => ({
        id: req.id,
        method: req.method,
        url: req.url,
        remoteAddress: req.remoteAddress,
      }),
      res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
    },
    customLogLevel(_req, res, err) {
      if (err || res.statusCode >= 500) return 'error';
      return 'info';
    },
  });
}
