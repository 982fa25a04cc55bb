/**
 * watchDict: a dict's changes after a version, read from its change stream with XREAD BLOCK on a
 * connection of its own (opened on the first `next()`, closed when the watch ends).
 *
 * Every version has exactly one stream entry (id `<version>-0`), so a gap between the version
 * asked for and the first entry read means that history was trimmed: HistoryCompactedError,
 * checked up front against the stream's first id and again on every read.
 *
 * The reaper: a dict's expired entries are purged by whatever script touches the dict next. So
 * that a watcher sees expiry without other traffic, the watch itself runs the purge (the
 * `dictState` script) when the dict's next expiry is due, and re-reads that time whenever it sees
 * a set with a TTL go by. Times come from the server's clock, so client clock skew does not matter.
 *
 * How it fails: HistoryCompactedError; BackendUnavailableError when Redis cannot be reached or the
 * connection is lost. It ends quietly when `request.signal` aborts or the client closes.
 */

import { HistoryCompactedError } from '../../errors.js';
import type { ChangeBatch, WatchRequest } from '../../shared-state/backend.js';
import type { AnyClient, RedisConnections } from './client.js';
import { parseChanges } from './entries.js';
import { translateError } from './errors.js';

/** MAX_BLOCK_MS bounds one XREAD BLOCK, so a silently dead connection is noticed. */
const MAX_BLOCK_MS = 30_000;
/** READ_COUNT is how many versions one XREAD returns at most. */
const READ_COUNT = 1000;

/** DictState is what the dictState script reports. */
export interface DictState {
  readonly version: number;
  readonly size: number;
  /** oldest is the oldest version still in the stream. */
  readonly oldest?: number | undefined;
  /** nextExpiry is the earliest entry expiry (server clock, ms since the epoch). */
  readonly nextExpiry?: number | undefined;
  /** now is the server's clock when the state was read. */
  readonly now: number;
  /** history is the dict's history id (meta `h`); undefined for a dict never written. */
  readonly history?: string | undefined;
}

/** WatchDeps is what a watch needs from its dict backend. */
export interface WatchDeps {
  readonly conns: RedisConnections;
  /** stream is the dict's change stream key. */
  readonly stream: string;
  /** state purges due expiries and reads the dict's state. */
  readonly state: () => Promise<DictState>;
  /** onClose holds stop functions the backend calls when it closes. */
  readonly onClose: Set<() => void>;
  readonly closed: () => boolean;
}

type XReadReply = Array<[string, Array<[string, string[]]>]> | null;

/** watchDict yields the change batches after `request.fromVersion` (default: the current version). */
export async function* watchDict(deps: WatchDeps, request: WatchRequest): AsyncGenerator<ChangeBatch> {
  const { signal } = request;
  const prefix = request.prefix ?? '';
  if (signal?.aborted || deps.closed()) return;
  let state = await deps.state();
  let cursor = request.fromVersion ?? state.version;
  const oldest = state.oldest ?? state.version + 1;
  if (cursor < oldest - 1) throw new HistoryCompactedError(cursor, oldest);
  // Another history (Redis lost the dict) or a version it never reached: resuming would skip or repeat.
  if (cursor > state.version || (request.history !== undefined && request.history !== state.history))
    throw new HistoryCompactedError(cursor, undefined);
  // A history id appears with version 1; a watch from 0 on a dict never written learns it then.
  let history = state.history;

  let conn: AnyClient | undefined;
  let stopped = false;
  const stop = () => {
    stopped = true;
    conn?.disconnect();
  };
  deps.onClose.add(stop);
  signal?.addEventListener('abort', stop, { once: true });
  try {
    conn = await deps.conns.blocking();
    if (stopped) return;
    let expiryAt = dueAt(state);
    while (!stopped) {
      if (performance.now() >= expiryAt) {
        state = await deps.state();
        expiryAt = dueAt(state);
      }
      const blockMs = Math.max(1, Math.min(MAX_BLOCK_MS, Math.ceil(expiryAt - performance.now())));
      let reply: XReadReply;
      try {
        reply = (await conn.xread(
          'COUNT',
          READ_COUNT,
          'BLOCK',
          blockMs,
          'STREAMS',
          deps.stream,
          `${cursor}-0`,
        )) as XReadReply;
      } catch (err) {
        if (stopped) return;
        throw translateError(err);
      }
      let sawTtl = false;
      for (const [id, fields] of reply?.[0]?.[1] ?? []) {
        const version = Number.parseInt(id, 10);
        if (version !== cursor + 1) throw new HistoryCompactedError(cursor, version);
        cursor = version;
        const parsed = parseChanges(fields);
        sawTtl ||= parsed.sawTtl;
        const changes = prefix ? parsed.changes.filter((c) => c.key.startsWith(prefix)) : parsed.changes;
        if (history === undefined) history = (await deps.state()).history;
        if (changes.length > 0) yield { version, changes, history };
        if (stopped) return;
      }
      if (sawTtl) expiryAt = Math.min(expiryAt, performance.now());
    }
  } finally {
    deps.onClose.delete(stop);
    signal?.removeEventListener('abort', stop);
    conn?.disconnect();
  }
}

/** dueAt converts the state's next expiry to a performance.now() instant (Infinity when none). */
function dueAt(state: DictState): number {
  if (state.nextExpiry === undefined) return Number.POSITIVE_INFINITY;
  return performance.now() + Math.max(0, state.nextExpiry - state.now) + 1;
}
