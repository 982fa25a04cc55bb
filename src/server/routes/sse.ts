/**
 * streamEvents writes an async iterable as Server-Sent Events, for every streaming route (dict
 * watch, group watch, election observe). It waits `limits.watchOpenGraceMs` for the first item
 * so that an early failure (a compacted history) is a plain problem response; after the head is
 * sent, a failure is one `event: reset` (history compacted) or `event: problem` carrying the
 * problem+json body, and the stream ends. `: keepalive` comments flow every
 * `limits.sseKeepAliveMs`, skipped while a write waits; the next item is read only once the
 * previous one is written out (`drain`), so a client that stops reading holds one item.
 *
 * `streamRoute` declares a whole streaming endpoint around it: it takes a watch slot
 * (`deps.watchSlots`, 429 past the bound; given back when the response closes) before it opens
 * the stream, then streams it.
 */
import type { Request, Response } from 'express';
import type { z } from 'zod';
import type { Limits, RouteDeps } from '../options.js';
import { problemOf } from '../problems.js';
import { defineRoute, type Route, type RouteContext, type RouteSpec } from '../route.js';

/** StreamSpec declares a streaming GET: the route's head, what the 200 stream carries, and how to open and render it. */
export interface StreamSpec<P extends z.ZodType, Q extends z.ZodType, H extends z.ZodType, T>
  extends Pick<
    RouteSpec<P, Q, H, z.ZodUndefined>,
    'path' | 'summary' | 'tag' | 'access' | 'params' | 'query' | 'headers' | 'problems'
  > {
  /** description documents the 200 text/event-stream response. */
  readonly description: string;
  /** open starts the stream for one request (after its watch slot is taken). */
  open(ctx: RouteContext<z.output<P>, z.output<Q>, z.output<H>, undefined>): AsyncIterable<T>;
  /** render writes one item as one complete SSE event. */
  render(item: T): string;
}

/** streamRoute declares a GET that streams `spec.open`'s items as Server-Sent Events (see the module comment). */
export function streamRoute<P extends z.ZodType, Q extends z.ZodType, H extends z.ZodType, T>(
  deps: RouteDeps,
  spec: StreamSpec<P, Q, H, T>,
): Route {
  const { limits, metrics, shutdown, watchSlots } = deps;
  return defineRoute<P, Q, H, z.ZodUndefined>({
    method: 'get',
    path: spec.path,
    summary: spec.summary,
    tag: spec.tag,
    access: spec.access,
    params: spec.params,
    query: spec.query,
    headers: spec.headers,
    responses: { 200: { description: spec.description, contentType: 'text/event-stream' } },
    problems: spec.problems,
    async handler(ctx) {
      const { req, res, signal, principal } = ctx;
      // The slot is given back when the response is over, however it ends.
      res.once('close', watchSlots.take(slotKey(principal, req)));
      await streamEvents({ req, res, signal, limits, metrics, shutdown }, spec.open(ctx), spec.render);
    },
  });
}

/** StreamEnv is what streamEvents needs from the route. */
interface StreamEnv {
  readonly req: Request;
  readonly res: Response;
  readonly signal: AbortSignal;
  readonly limits: Limits;
  readonly metrics: RouteDeps['metrics'];
  readonly shutdown: AbortSignal;
}

/** streamEvents streams `items`, each rendered by `render` as one complete SSE event. */
async function streamEvents<T>(
  { req, res, signal, limits, metrics, shutdown }: StreamEnv,
  items: AsyncIterable<T>,
  render: (item: T) => string,
): Promise<void> {
  const it = items[Symbol.asyncIterator]();
  let next = it.next();
  // Wait briefly for the backend's first answer, so a compacted history is a plain 410.
  const early = await Promise.race([
    next.then(
      () => 'ready' as const,
      (err: unknown) => ({ err }),
    ),
    delay(limits.watchOpenGraceMs),
  ]);
  if (typeof early === 'object') {
    void it.return?.(undefined)?.catch(() => undefined);
    throw early.err;
  }

  res.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-store',
    'X-Accel-Buffering': 'no',
  });
  if (req.method === 'HEAD') {
    // The same status and headers as GET (410 above for a compacted history), then the end:
    // Node sends a HEAD response's headers only when it ends, and a stream never would. The
    // backend's watch stops when the response closes (`signal`).
    res.end();
    return;
  }
  res.write(': watching\n\n');
  metrics.openStreams.inc({ kind: 'watch' });
  const keepAlive = setInterval(() => {
    if (!res.writableNeedDrain) res.write(': keepalive\n\n');
  }, limits.sseKeepAliveMs);
  keepAlive.unref();
  const stop = untilAborted(signal);
  try {
    for (;;) {
      const r = await Promise.race([next, stop]);
      if (r.done) break;
      if (!res.write(render(r.value))) await drained(res);
      next = it.next();
    }
  } catch (err) {
    if (!signal.aborted) {
      const problem = problemOf(err);
      const body = {
        ...problem.extra,
        code: problem.code,
        status: problem.status,
        detail: problem.detail,
      };
      res.write(sseEvent(problem.code === 'history_compacted' ? 'reset' : 'problem', body));
    }
  } finally {
    clearInterval(keepAlive);
    metrics.openStreams.dec({ kind: 'watch' });
    // The backend ends its watch on `signal`; do not wait for it if it is slow to notice.
    void it.return?.(undefined)?.catch(() => undefined);
    if (shutdown.aborted && !res.destroyed) res.write(': server shutting down\n\n');
    res.end();
  }
}

/** sseEvent renders one SSE event: `id:` when given, `event:`, and `data:` as JSON (which escapes newlines, so data stays one line). */
export function sseEvent(event: string, data: unknown, id?: string): string {
  return `${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** slotKey is whom a stream's watch slot is counted against: its token, or its address. */
function slotKey(principal: { name: string; rule: unknown }, req: Request): string {
  return principal.rule ? `t:${principal.name}` : `a:${req.socket.remoteAddress}`;
}

function untilAborted(signal: AbortSignal): Promise<{ done: true; value: undefined }> {
  return new Promise((resolve) => {
    const done = () => resolve({ done: true, value: undefined });
    if (signal.aborted) done();
    else signal.addEventListener('abort', done, { once: true });
  });
}

function delay(ms: number): Promise<'timeout'> {
  return new Promise((resolve) => setTimeout(resolve, ms, 'timeout').unref());
}

function drained(res: Response): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
