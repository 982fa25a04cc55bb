/**
 * watchRoute: a dict's changes as Server-Sent Events. Each change is one event: `id:`
 * `<history>:<version>`, `event:` set | delete | expire, `data:` {"key","value"?,"version"}; the
 * changes of one batch share one id. A client resumes with `Last-Event-ID` (or `?fromVersion=`
 * and `?history=`) and receives every change after that version of that history; a plain
 * `<version>` id (older clients) is checked only against the dict's current version.
 * `resumableRoute` gives another stream (the group watch) the same ids, resume and 410.
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
import type { z } from 'zod';
import type { Change } from '../../index.js';
import type { RouteDeps } from '../options.js';
import type { Route, RouteContext } from '../route.js';
import { DictParams, WatchHeaders, WatchQuery } from '../schemas.js';
import { type StreamSpec, sseEvent, streamRoute } from './sse.js';

/** watchRoute declares GET /v1/dicts/{dict}/watch. */
export function watchRoute(deps: RouteDeps): Route {
  return resumableRoute(deps, {
    path: '/v1/dicts/:dict/watch',
    summary: 'Stream changes after a version as Server-Sent Events (resumable with Last-Event-ID)',
    tag: 'dicts',
    access: { kind: 'dict', right: 'read', param: 'dict' },
    params: DictParams,
    query: WatchQuery,
    description: 'an endless text/event-stream of set, delete and expire events',
    open: ({ params, query, signal }, from) =>
      deps.baton.dict(params.dict).watch({ prefix: query.prefix, ...from, signal }),
    render: eventOf,
  });
}

/** eventOf renders one change as an SSE event; the changes of one batch share one id. */
function eventOf(c: Change<unknown>): string {
  const data =
    c.type === 'set'
      ? { key: c.key, value: c.value, version: c.version }
      : { key: c.key, version: c.version };
  return sseEvent(c.type, data, eventId(c.version, c.history));
}

/** ResumeQuery is what a resumable stream's query carries beside its own fields. */
type ResumeQuery = { fromVersion?: number | undefined; history?: string | undefined };

/** ResumePoint is where a stream starts: after `fromVersion` of `history` (both undefined: from now). */
export interface ResumePoint {
  readonly fromVersion: number | undefined;
  readonly history: string | undefined;
}

/** ResumableSpec declares a resumable stream: a StreamSpec whose `open` is also given the ResumePoint. */
export interface ResumableSpec<P extends z.ZodType, Q extends z.ZodType<ResumeQuery>, T>
  extends Omit<StreamSpec<P, Q, typeof WatchHeaders, T>, 'headers' | 'problems' | 'open'> {
  open(
    ctx: RouteContext<z.output<P>, z.output<Q>, z.output<typeof WatchHeaders>, undefined>,
    from: ResumePoint,
  ): AsyncIterable<T>;
}

/**
 * resumableRoute declares a stream a client resumes with `Last-Event-ID` (or `?fromVersion=` and
 * `?history=`); its events carry `eventId` ids; 410 when that history is gone (see the module comment).
 */
export function resumableRoute<P extends z.ZodType, Q extends z.ZodType<ResumeQuery>, T>(
  deps: RouteDeps,
  spec: ResumableSpec<P, Q, T>,
): Route {
  return streamRoute(deps, {
    ...spec,
    headers: WatchHeaders,
    problems: [410],
    open: (ctx) => spec.open(ctx, resumePoint(ctx.headers, ctx.query)),
  });
}

/** eventId is the SSE id a resumable stream gives the change at `version` of `history`: `<history>:<version>`. */
export function eventId(version: number, history: string | undefined): string {
  return history === undefined ? `${version}` : `${history}:${version}`;
}

/** resumePoint is where a stream starts: after Last-Event-ID when given, else ?fromVersion=&history=. */
function resumePoint(headers: { 'last-event-id'?: string | undefined }, query: ResumeQuery): ResumePoint {
  const last = parseEventId(headers['last-event-id']);
  return last
    ? { fromVersion: last.version, history: last.history }
    : { fromVersion: query.fromVersion, history: query.history };
}

/**
 * parseEventId reads a Last-Event-ID (already validated; the inverse of eventId): `<history>:<version>`,
 * or a plain `<version>` from a client older than history ids (resumed with only the version check).
 */
function parseEventId(id: string | undefined): { version: number; history?: string } | undefined {
  if (id === undefined) return undefined;
  const colon = id.lastIndexOf(':');
  if (colon < 0) return { version: Number(id) };
  return { version: Number(id.slice(colon + 1)), history: id.slice(0, colon) };
}
