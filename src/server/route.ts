/**
 * Routes: one declaration per endpoint — method, path, access rule, zod schemas for path
 * parameters, query, headers and body, documented responses, and the handler. `mountRoutes`
 * turns them into express handlers that authorize, rate-limit and validate the head, and only
 * then read the body (body.ts), before the handler runs; `buildOpenApi` turns the same list into
 * the OpenAPI document.
 *
 * How it fails: a request that does not fit the schemas is a 400 `invalid_argument` problem whose
 * detail names each bad field; a body that is not JSON is 400, a non-JSON content type 415, an
 * unknown query parameter or body field 400; a method the path does not have is 405 with Allow.
 * Handlers throw; the app's problem handler answers.
 */
import type { Express, Request, RequestHandler, Response } from 'express';
import { z } from 'zod';
import { type Access, type AuthOptions, authorize, authorizeFence, type Principal } from './auth.js';
import { hasBody, readRawBody } from './body.js';
import type { ServerMetrics } from './metrics.js';
import { HttpProblem } from './problems.js';
import type { RateLimiter } from './rate-limit.js';

/** RouteContext is what a handler gets: validated inputs, the caller, and a signal. */
export interface RouteContext<P, Q, H, B> {
  readonly req: Request;
  readonly res: Response;
  readonly params: P;
  readonly query: Q;
  readonly headers: H;
  readonly body: B;
  readonly principal: Principal;
  /** signal aborts when the client disconnects or the server starts shutting down. */
  readonly signal: AbortSignal;
}

/** ResponseDoc documents one response of a route for OpenAPI. */
export interface ResponseDoc {
  readonly description: string;
  readonly schema?: z.ZodType;
  /** contentType defaults to application/json. */
  readonly contentType?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** Method is an HTTP method a route may declare. */
export type Method = 'get' | 'put' | 'post' | 'delete';

/** RouteSpec declares one endpoint. */
export interface RouteSpec<
  P extends z.ZodType,
  Q extends z.ZodType,
  H extends z.ZodType,
  B extends z.ZodType,
> {
  readonly method: Method;
  /** path in express syntax, such as `/v1/locks/:name/acquire`. */
  readonly path: string;
  readonly summary: string;
  readonly tag: string;
  readonly access: Access;
  readonly params?: P;
  readonly query?: Q;
  readonly headers?: H;
  readonly body?: B;
  /** emptyBodyAs lets an empty body stand for this value (such as `{}` when every field is optional). */
  readonly emptyBodyAs?: unknown;
  readonly responses: Readonly<Record<number, ResponseDoc>>;
  /** problems lists the documented failure statuses beyond 400/401/403/429/503. */
  readonly problems?: readonly number[];
  readonly handler: (ctx: RouteContext<z.output<P>, z.output<Q>, z.output<H>, z.output<B>>) => Promise<void>;
}

/** Route is a declared endpoint with its runner. */
export interface Route {
  readonly method: Method;
  readonly path: string;
  readonly summary: string;
  readonly tag: string;
  readonly access: Access;
  readonly params: z.ZodType | undefined;
  readonly query: z.ZodType;
  readonly headers: z.ZodType | undefined;
  readonly body: z.ZodType | undefined;
  readonly responses: Readonly<Record<number, ResponseDoc>>;
  readonly problems: readonly number[];
  run(req: Request, res: Response, env: RouteEnv): Promise<void>;
}

/** RouteEnv is what the runner needs from the app. */
export interface RouteEnv {
  readonly auth: AuthOptions;
  readonly limiter: RateLimiter | undefined;
  readonly metrics: ServerMetrics;
  readonly shutdown: AbortSignal;
  /** maxBodyBytes is the largest request body read (413 beyond it). */
  readonly maxBodyBytes: number;
}

const NoParams = z.strictObject({});
const NoQuery = z.strictObject({});

/** defineRoute declares an endpoint; the handler's inputs are typed from the schemas. */
export function defineRoute<
  P extends z.ZodType = typeof NoParams,
  Q extends z.ZodType = typeof NoQuery,
  H extends z.ZodType = z.ZodUnknown,
  B extends z.ZodType = z.ZodUndefined,
>(spec: RouteSpec<P, Q, H, B>): Route {
  const query = spec.query ?? NoQuery;
  return {
    method: spec.method,
    path: spec.path,
    summary: spec.summary,
    tag: spec.tag,
    access: spec.access,
    params: spec.params,
    query,
    headers: spec.headers,
    body: spec.body,
    responses: spec.responses,
    problems: spec.problems ?? [],
    async run(req, res, env) {
      const params = check('path', spec.params ?? NoParams, req.params);
      const principal = authorize(env.auth, req, spec.access, params as object);
      if (spec.access.kind === 'dict' && spec.access.right === 'write')
        authorizeFence(principal, req.headers['baton-fence-lock']);
      if (env.limiter && spec.access.kind !== 'public') {
        const wait = env.limiter.take(
          principal.rule ? `t:${principal.name}` : `a:${req.socket.remoteAddress}`,
        );
        if (wait > 0) {
          throw new HttpProblem(
            'rate_limited',
            'too many requests for this token',
            {},
            { 'Retry-After': `${wait}` },
          );
        }
      }
      const input = {
        params,
        query: check('query', query, req.query),
        headers: spec.headers ? check('header', spec.headers, req.headers) : undefined,
        body: undefined as unknown,
      };
      // Everything the head can refuse has been refused by now; only then is the body read.
      if (!spec.body && hasBody(req) && req.headers['transfer-encoding'] === undefined) {
        throw new HttpProblem('invalid_argument', 'this endpoint takes no request body');
      }
      input.body = parseBody(req, await readRawBody(req, env.maxBodyBytes), spec.body, spec.emptyBodyAs);
      // The signal is made on first use: most handlers never read it, and an AbortController,
      // AbortSignal.any and the abort on every close cost about 7 % of a short request's CPU.
      let closed = false;
      let gone: AbortController | undefined;
      let signal: AbortSignal | undefined;
      res.once('close', () => {
        closed = true;
        gone?.abort();
      });
      const ctx = {
        req,
        res,
        principal,
        ...input,
        get signal(): AbortSignal {
          if (!signal) {
            gone = new AbortController();
            if (closed) gone.abort();
            signal = AbortSignal.any([gone.signal, env.shutdown]);
          }
          return signal;
        },
      };
      await spec.handler(ctx as Parameters<typeof spec.handler>[0]);
    },
  };
}

/** mountRoutes registers every route, a 405 for other methods on known paths, and timing. */
export function mountRoutes(app: Express, routes: readonly Route[], env: RouteEnv): void {
  const byPath = new Map<string, Route[]>();
  for (const r of routes) byPath.set(r.path, [...(byPath.get(r.path) ?? []), r]);
  for (const [path, list] of byPath) {
    const chain = app.route(path);
    for (const r of list) chain[r.method](handlerFor(r, env));
    const allow = [
      ...new Set(list.flatMap((r) => (r.method === 'get' ? ['GET', 'HEAD'] : [r.method.toUpperCase()]))),
    ];
    chain.all(() => {
      throw new HttpProblem(
        'method_not_allowed',
        `this path allows ${allow.join(', ')}`,
        {},
        { Allow: allow.join(', ') },
      );
    });
  }
}

function handlerFor(route: Route, env: RouteEnv): RequestHandler {
  return async (req, res) => {
    const started = performance.now();
    res.once('close', () => {
      env.metrics.httpDuration.observe(
        { method: req.method, route: route.path, status: String(res.statusCode) },
        (performance.now() - started) / 1000,
      );
    });
    res.setHeader('Cache-Control', 'no-store');
    if (env.shutdown.aborted) res.setHeader('Connection', 'close');
    await route.run(req, res, env);
  };
}

function check<S extends z.ZodType>(where: string, schema: S, value: unknown): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => ({
    path: [where, ...i.path.map(String)].join('.'),
    message: i.code === 'unrecognized_keys' ? `unknown ${where} field(s): ${i.keys.join(', ')}` : i.message,
  }));
  throw new HttpProblem('invalid_argument', issues.map((i) => `${i.path}: ${i.message}`).join('; '), {
    issues,
  });
}

function parseBody(req: Request, bytes: Buffer, schema: z.ZodType | undefined, emptyAs: unknown): unknown {
  if (!schema) {
    if (bytes.length > 0) throw new HttpProblem('invalid_argument', 'this endpoint takes no request body');
    return undefined;
  }
  if (bytes.length === 0) {
    if (emptyAs === undefined) throw new HttpProblem('invalid_argument', 'a JSON request body is required');
    return check('body', schema, emptyAs);
  }
  const type = (req.headers['content-type'] ?? '').toLowerCase();
  const [media = '', ...params] = type.split(';').map((s) => s.trim());
  if (!(media === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(media))) {
    throw new HttpProblem(
      'unsupported_media_type',
      'the request body must be JSON (Content-Type: application/json)',
    );
  }
  const charset = params
    .find((p) => p.startsWith('charset='))
    ?.slice(8)
    .replace(/"/g, '');
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    throw new HttpProblem('unsupported_media_type', 'JSON bodies must be UTF-8');
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (err) {
    const why = err instanceof SyntaxError ? err.message : 'not valid UTF-8';
    throw new HttpProblem('invalid_argument', `the request body is not valid JSON: ${why}`);
  }
  return check('body', schema, json);
}
