/**
 * startServer connects to a backend, builds the app and listens — what `baton serve` runs.
 * Auth is required unless the address is loopback: on any other address it refuses to start
 * without a tokens file unless `insecure` is set. Rate limiting defaults to off on loopback and
 * to 500 requests/s (burst 1000) per token elsewhere.
 *
 * How it fails: InvalidArgumentError for a refused configuration (non-loopback without auth, bad
 * tokens file, bad limits or connection limits, address in use); BackendUnavailableError when the backend cannot be
 * reached. On failure nothing is left open.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { connect, InvalidArgumentError } from '../index.js';
import { createApp } from './app.js';
import { type AuthOptions, isLoopbackAddress } from './auth.js';
import { loadTokenFile } from './auth-file.js';
import {
  type ConnectionLimits,
  capConnections,
  resolveConnectionLimits,
  serverOptionsFor,
} from './connections.js';
import { createLogger } from './logging.js';
import { type Limits, resolveLimits } from './options.js';
import type { RateLimitOptions } from './rate-limit.js';
import { drain } from './shutdown.js';

/** ServeOptions configure startServer. */
export interface ServeOptions {
  /** backend is the URL the server connects to (default memory://). */
  readonly backend?: string;
  readonly host?: string;
  /** port 0 picks a free one (see RunningServer.url). Default 7070. */
  readonly port?: number;
  /** authFile is a tokens file (see auth-file.ts); without it auth is off. */
  readonly authFile?: string | undefined;
  /** insecure allows a non-loopback address without auth. */
  readonly insecure?: boolean;
  /** publicMetrics serves /metrics without a token. */
  readonly publicMetrics?: boolean;
  readonly limits?: Partial<Limits>;
  /** connections bound slow clients and open connections (see connections.ts for the defaults). */
  readonly connections?: Partial<ConnectionLimits>;
  /** rateLimit: null turns it off; undefined picks the default for the address. */
  readonly rateLimit?: RateLimitOptions | null;
  /** shutdownMs is how long in-flight requests may take after a shutdown starts. Default 10 000. */
  readonly shutdownMs?: number;
  readonly logger?: Logger;
}

/** RunningServer is a listening server. */
export interface RunningServer {
  /** url is where it listens, such as http://127.0.0.1:7070. */
  readonly url: string;
  readonly server: Server;
  /** close drains gracefully (see shutdown.ts) within the shutdown deadline; idempotent. */
  close(): Promise<void>;
}

/** DEFAULT_REMOTE_RATE_LIMIT applies per token on non-loopback addresses unless configured. */
export const DEFAULT_REMOTE_RATE_LIMIT: RateLimitOptions = Object.freeze({ perSecond: 500, burst: 1000 });

/** startServer starts a server and resolves once it listens. */
export async function startServer(options: ServeOptions = {}): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 7070;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new InvalidArgumentError(`port must be an integer from 0 to 65535 (got ${port})`);
  }
  const loopback = isLoopbackAddress(host);
  if (!loopback && !options.authFile && !options.insecure) {
    throw new InvalidArgumentError(
      `refusing to listen on ${host} without auth: give --auth-file, or --insecure to serve without it`,
    );
  }
  const limits = resolveLimits(options.limits);
  const connections = resolveConnectionLimits(options.connections);
  const auth: AuthOptions = options.authFile
    ? { mode: 'tokens', tokens: await loadTokenFile(options.authFile), publicMetrics: options.publicMetrics }
    : { mode: 'off', loopbackHostsOnly: !options.insecure };
  const rateLimit =
    options.rateLimit === null
      ? undefined
      : (options.rateLimit ?? (loopback ? undefined : DEFAULT_REMOTE_RATE_LIMIT));
  const logger = options.logger ?? createLogger();
  const backend = options.backend ?? 'memory://';
  const baton = await connect(backend, { maxValueBytes: limits.maxBodyBytes });
  const controller = new AbortController();
  const app = createApp({ baton, auth, limits, logger, rateLimit, signal: controller.signal });
  const server = createServer(serverOptionsFor(connections), app);
  capConnections(server, connections);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    await baton.close();
    const code = (err as NodeJS.ErrnoException).code;
    throw new InvalidArgumentError(`cannot listen on ${host}:${port}: ${code ?? (err as Error).message}`);
  }
  const address = server.address() as AddressInfo;
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${shown}:${address.port}`;
  logger.info(
    { url, backend: redactUrl(backend), auth: auth.mode, rateLimit: rateLimit ?? 'off' },
    'baton listening',
  );
  let closing: Promise<void> | undefined;
  return {
    url,
    server,
    close() {
      closing ??= drain({ server, controller, baton, deadlineMs: options.shutdownMs ?? 10_000, logger });
      return closing;
    },
  };
}

/** redactUrl hides a password in a backend URL before it is logged. */
export function redactUrl(text: string): string {
  try {
    const u = new URL(text);
    if (u.password) u.password = '***';
    if (u.username && (u.protocol === 'http:' || u.protocol === 'https:')) u.username = '***';
    return u.toString();
  } catch {
    return '(unparsable URL)';
  }
}
