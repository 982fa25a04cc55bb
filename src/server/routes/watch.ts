/**
 * watchRoute: a dict's changes as Server-Sent Events. Each change is one event: `id:`
 * `<history>:<version>`, `event:` set | delete | expire, `data:` {"key","value"?,"version"}; the
 * changes of one batch share one id. A client resumes with `Last-Event-ID` (or `?fromVersion=`
 * and `?history=`) and receives every change after that version of that history; a plain
 * `<version>` id (older clients) is checked only against the dict's current version.
 * `: keepalive` comments flow every `limits.sseKeepAliveMs`.
 *
 * How it fails: 410 `history_compacted` when the asked-for history is already gone, is another
 * history than the one named, or has not reached the version (decided in
 * the first `limits.watchOpenGraceMs`); if that or another failure happens after the stream has
 * started, one `event: reset` (history compacted) or `event: problem` (anything else) carries
 * the problem+json body as data and the stream ends. When the server shuts down, the stream
 * ends after a `: server shutting down` comment; the client resumes elsewhere or reports it.
 *
 * Bounds: each stream takes a WatchSlots slot first (429 `too_many_watches` past
 * `limits.maxWatches` in all or `limits.maxWatchesPerToken` per token), given back when the
 * response ends. A client that stops reading holds the server to one event: the next change is
 * read from the backend only once the previous one is written out (`drain`), and keep-alives are
 * skipped while a write waits; the backend's watch bound (WatchOverflowError, sent as `event:
 * problem` code `watch_overflow`) applies to what the backend holds meanwhile.
 */
import type { Response } from 'express';
import type { Change } from '../../index.js';
import type { RouteDeps } from '../options.js';
import { problemOf } from '../problems.js';
import { defineRoute, type Route } from '../route.js';
import { DictParams, WatchHeaders, WatchQuery } from '../schemas.js';
import { WatchSlots } from '../watch-slots.js';

/** watchRoute declares GET /v1/dicts/{dict}/watch. */
export function watchRoute({ baton, limits, metrics, shutdown }: RouteDeps): Route {
  const slots = new WatchSlots(limits.maxWatches, limits.maxWatchesPerToken);
  return defineRoute({
    method: 'get',
    path: '/v1/dicts/:dict/watch',
    summary: 'Stream changes after a version as Server-Sent Events (resumable with Last-Event-ID)',
    tag: 'dicts',
    access: { kind: 'dict', right: 'read', param: 'dict' },
    params: DictParams,
    query: WatchQuery,
    headers: WatchHeaders,
    responses: {
      200: {
        description: 'an endless text/event-stream of set, delete and expire events',
        contentType: 'text/event-stream',
      },
    },
    problems: [410],
    async handler({ params, query, headers, req, res, signal, principal }) {
      // The slot is given back when the response is over, however it ends.
      res.once('close', slots.take(principal.rule ? `t:${principal.name}` : `a:${req.socket.remoteAddress}`));
      const last = parseEventId(headers['last-event-id']);
      const fromVersion = last ? last.version : query.fromVersion;
      const history = last ? last.history : query.history;
      const changes = baton.dict(params.dict).watch({ prefix: query.prefix, fromVersion, history, signal });
      const it = changes[Symbol.asyncIterator]();
      let next = it.next();
      // Wait briefly for the backend's first answer, so a compacted history is a plain 410.
      const early = await Promise.race([
        next.then(
          () => 'ready' as const,
          (err: unknown) => ({ err }),
        ),
        delay(limits.watchOpenGraceMs),
      ]);
      if (typeof early === 'object') throw early.err;

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
          if (!res.write(eventOf(r.value))) await drained(res);
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
          const event = problem.code === 'history_compacted' ? 'reset' : 'problem';
          res.write(`event: ${event}\ndata: ${JSON.stringify(body)}\n\n`);
        }
      } finally {
        clearInterval(keepAlive);
        metrics.openStreams.dec({ kind: 'watch' });
        // The backend ends its watch on `signal`; do not wait for it if it is slow to notice.
        void it.return?.(undefined)?.catch(() => undefined);
        if (shutdown.aborted && !res.destroyed) res.write(': server shutting down\n\n');
        res.end();
      }
    },
  });
}

/** eventOf renders one change as an SSE event; JSON escapes newlines, so data stays one line. */
function eventOf(c: Change<unknown>): string {
  const data =
    c.type === 'set'
      ? { key: c.key, value: c.value, version: c.version }
      : { key: c.key, version: c.version };
  const id = c.history === undefined ? `${c.version}` : `${c.history}:${c.version}`;
  return `id: ${id}\nevent: ${c.type}\ndata: ${JSON.stringify(data)}\n\n`;
}

/**
 * parseEventId reads a Last-Event-ID (already validated): `<history>:<version>`, or a plain
 * `<version>` from a client older than history ids (resumed with only the version check).
 */
function parseEventId(id: string | undefined): { version: number; history?: string } | undefined {
  if (id === undefined) return undefined;
  const colon = id.lastIndexOf(':');
  if (colon < 0) return { version: Number(id) };
  return { version: Number(id.slice(colon + 1)), history: id.slice(0, colon) };
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
