/**
 * createApp builds the baton REST API as an express app over a connected Baton, using only the
 * public API. It is embeddable: mount it, or listen on it (`startServer` does, with signals and
 * graceful shutdown). It holds no state of its own besides metrics and rate-limit buckets.
 *
 * How it fails: never by throwing after construction; every failure is a problem+json response
 * (see problems.ts). Construction throws InvalidArgumentError for bad limits.
 */
import { readFileSync } from 'node:fs';
import express, { type Express } from 'express';
import type { Logger } from 'pino';
import type { Baton } from '../index.js';
import type { AuthOptions } from './auth.js';
import { createLogger, httpLogger } from './logging.js';
import { createMetrics, type ServerMetrics } from './metrics.js';
import { buildOpenApi, type OpenApiDocument } from './openapi.js';
import { type Limits, type RouteDeps, resolveLimits } from './options.js';
import { HttpProblem, problemHandler } from './problems.js';
import { RateLimiter, type RateLimitOptions } from './rate-limit.js';
import { mountRoutes, type Route } from './route.js';
import { dashboardRouter } from './routes/dashboard.js';
import { dictRoutes } from './routes/dicts.js';
import { electionRoutes, groupRoutes } from './routes/groups.js';
import { keyRoutes } from './routes/keys.js';
import { lockRoutes } from './routes/locks.js';
import { poolRoutes } from './routes/semaphores.js';
import { serviceRoutes } from './routes/service.js';
import { watchRoute } from './routes/watch.js';
import { WatchSlots } from './watch-slots.js';

/** AppOptions configure createApp; only `baton` is required. */
export interface AppOptions {
  readonly baton: Baton;
  /** auth defaults to off (with the loopback Host guard). */
  readonly auth?: AuthOptions;
  readonly limits?: Partial<Limits>;
  /** logger defaults to a pino logger at info on stdout. */
  readonly logger?: Logger;
  /** rateLimit, when given, limits each token (or client address with auth off). */
  readonly rateLimit?: RateLimitOptions | undefined;
  /** signal, when aborted, makes the app drain: long-polls answer 503, watch streams end, /readyz is 503. */
  readonly signal?: AbortSignal;
  /** metrics defaults to a fresh registry. */
  readonly metrics?: ServerMetrics;
}

/** BatonApp is the express app, with its route table and OpenAPI document. */
export type BatonApp = Express & {
  readonly batonRoutes: readonly Route[];
  readonly openapi: () => OpenApiDocument;
  readonly metrics: ServerMetrics;
};

/** createApp returns the REST API as an express app. */
export function createApp(options: AppOptions): BatonApp {
  const limits = resolveLimits(options.limits);
  const logger = options.logger ?? createLogger();
  const metrics = options.metrics ?? createMetrics(options.baton);
  const shutdown = options.signal ?? new AbortController().signal;
  const watchSlots = new WatchSlots(limits.maxWatches, limits.maxWatchesPerToken);
  const deps: RouteDeps = { baton: options.baton, limits, metrics, shutdown, logger, watchSlots };

  let doc: OpenApiDocument | undefined;
  const openapi = () => {
    doc ??= buildOpenApi(routes, packageInfo());
    return doc;
  };
  const routes: Route[] = [
    ...serviceRoutes(deps, openapi),
    ...lockRoutes(deps),
    ...poolRoutes(deps),
    ...keyRoutes(deps),
    watchRoute(deps),
    ...dictRoutes(deps),
    ...groupRoutes(deps),
    ...electionRoutes(deps),
  ];

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  app.use(httpLogger(logger));
  mountRoutes(app, routes, {
    auth: options.auth ?? { mode: 'off' },
    limiter: options.rateLimit ? new RateLimiter(options.rateLimit) : undefined,
    metrics,
    shutdown,
    maxBodyBytes: limits.maxBodyBytes,
  });
  app.use(dashboardRouter(options.auth ?? { mode: 'off' }));
  app.use((req, res) => {
    countUnmatched(metrics, req, res);
    throw new HttpProblem('not_found', 'no such endpoint (see /openapi.json)');
  });
  app.use(problemHandler(logger, limits.lingerMs));
  return Object.assign(app, { batonRoutes: routes, openapi, metrics });
}

/** countUnmatched records a request no route matched under the route label `unmatched` (never its path). */
function countUnmatched(metrics: ServerMetrics, req: express.Request, res: express.Response): void {
  const started = performance.now();
  res.once('close', () => {
    metrics.httpDuration.observe(
      { method: req.method, route: 'unmatched', status: String(res.statusCode) },
      (performance.now() - started) / 1000,
    );
  });
}

function packageInfo(): { version: string; license?: string } {
  try {
    const text = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
    const { version, license } = JSON.parse(text) as { version?: unknown; license?: unknown };
    return {
      version: typeof version === 'string' ? version : '0.0.0',
      ...(typeof license === 'string' ? { license } : {}),
    };
  } catch {
    return { version: '0.0.0' };
  }
}
