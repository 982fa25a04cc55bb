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
import type { Change } from '../../index.js';
import type { RouteDeps } from '../options.js';
import type { Route } from '../route.js';
import { DictParams, WatchHeaders, WatchQuery } from '../schemas.js';
import { streamRoute } from './sse.js';

/** watchRoute declares GET /v1/dicts/{dict}/watch. */
export function watchRoute(deps: RouteDeps): Route {
  return streamRoute(deps, {
    path: '/v1/dicts/:dict/watch',
    summary: 'Stream changes after a version as Server-Sent Events (resumable with Last-Event-ID)',
    tag: 'dicts',
    access: { kind: 'dict', right: 'read', param: 'dict' },
    params: DictParams,
    query: WatchQuery,
    headers: WatchHeaders,
    description: 'an endless text/event-stream of set, delete and expire events',
    problems: [410],
    open({ params, query, headers, signal }) {
      const { fromVersion, history } = resumePoint(headers, query);
      return deps.baton.dict(params.dict).watch({ prefix: query.prefix, fromVersion, history, signal });
    },
    render: eventOf,
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

/** resumePoint is where a stream starts: after Last-Event-ID when given, else ?fromVersion=&history=. */
export function resumePoint(
  headers: { 'last-event-id'?: string | undefined },
  query: { fromVersion?: number | undefined; history?: string | undefined },
): { fromVersion: number | undefined; history: string | undefined } {
  const last = parseEventId(headers['last-event-id']);
  return last
    ? { fromVersion: last.version, history: last.history }
    : { fromVersion: query.fromVersion, history: query.history };
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
