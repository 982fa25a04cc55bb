/**
 * serviceRoutes: /healthz (the process answers), /readyz (the backend answers and the server is
 * not shutting down; else 503 `backend_unavailable`), /metrics (Prometheus text), /openapi.json,
 * and /v1/capabilities (what the backend guarantees and the server's limits — the http backend
 * reads it when it connects).
 */
import { BackendUnavailableError, type Baton, UnsupportedError } from '../../index.js';
import type { OpenApiDocument } from '../openapi.js';
import type { RouteDeps } from '../options.js';
import { defineRoute, type Route } from '../route.js';
import { CapabilitiesBody, OkBody } from '../schemas.js';

/** serviceRoutes declares the operational endpoints; `openapi` is built on first request. */
export function serviceRoutes(deps: RouteDeps, openapi: () => OpenApiDocument): Route[] {
  const { baton, limits, metrics, shutdown } = deps;
  return [
    probeRoute('/healthz', 'The process is alive', 'alive', async () => {}),
    probeRoute('/readyz', 'The backend answers and the server is taking requests', 'ready', async () => {
      if (shutdown.aborted) throw new BackendUnavailableError('the server is shutting down');
      await withTimeout(baton.ping(), 5_000);
    }),
    defineRoute({
      method: 'get',
      path: '/metrics',
      summary: 'Prometheus metrics (needs a token unless the server was started with public metrics)',
      tag: 'service',
      access: { kind: 'metrics' },
      responses: { 200: { description: 'Prometheus text format', contentType: 'text/plain' } },
      async handler({ res }) {
        const text = await metrics.registry.metrics();
        res.type(metrics.registry.contentType).send(text);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/openapi.json',
      summary: 'This API as an OpenAPI 3.1 document',
      tag: 'service',
      access: { kind: 'token' },
      responses: { 200: { description: 'the document' } },
      async handler({ req, res }) {
        // Mounted under a path (app.use('/baton', app)), the API's server is that path.
        const doc = openapi();
        res.json(req.baseUrl ? { ...doc, servers: [{ url: req.baseUrl, description: 'this server' }] } : doc);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/capabilities',
      summary: "What the server's backend guarantees, and the server's limits",
      tag: 'service',
      access: { kind: 'token' },
      responses: { 200: { description: 'capabilities and limits', schema: CapabilitiesBody } },
      async handler({ res }) {
        const caps = baton.capabilities;
        res.json({
          locks: caps.locks,
          dicts: caps.dicts,
          limits: {
            maxWaitMs: limits.maxWaitMs,
            maxBodyBytes: limits.maxBodyBytes,
            sseKeepAliveMs: limits.sseKeepAliveMs,
          },
          semaphores: caps.semaphores ?? null,
          ...(caps.semaphores ? {} : { semaphoresUnsupported: unsupportedReason(baton) }),
        });
      },
    }),
  ];
}

/** probeRoute declares a public GET that answers `{ ok: true }` once `check` resolves (a probe: /healthz, /readyz). */
function probeRoute(path: string, summary: string, description: string, check: () => Promise<void>): Route {
  return defineRoute({
    method: 'get',
    path,
    summary,
    tag: 'service',
    access: { kind: 'public' },
    responses: { 200: { description, schema: OkBody } },
    async handler({ res }) {
      await check();
      res.json({ ok: true });
    },
  });
}

/** unsupportedReason is why `baton` has no semaphores (the UnsupportedError its handle factory throws). */
function unsupportedReason(baton: Baton): string {
  try {
    baton.semaphore('probe');
  } catch (err) {
    if (err instanceof UnsupportedError) return err.message;
  }
  return 'this backend has no semaphores or read-write locks';
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new BackendUnavailableError(`the backend did not answer within ${ms} ms`)),
      ms,
    );
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
