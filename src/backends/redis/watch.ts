/**
 * watchDict: a dict's changes after a version, read from its change stream with XRANGE on the
 * client's main connection. Every dict write also PUBLISHes its version on a channel named like
 * the stream (dict_lib.lua); a watcher listens there through the one subscriber connection all
 * of this client's watches share (LockWakeups), so 2000 watches cost two connections, not 2000.
 * A watcher that has read everything waits for a message (or at most MAX_WAIT_MS, a safety net),
 * then reads again; it forgets messages just before each read, so none is missed in between.
 *
 * It reads at most `settings.watchPage` versions at a time and only when its consumer asks for
 * more, so a consumer that stops reading costs one page, however much is written meanwhile; when
 * it reads again it continues where it was, or gets HistoryCompactedError if the stream was
 * trimmed past it in the meantime.
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
 * subscriber connection is lost or stops answering (its heartbeat). It ends quietly when
 * `request.signal` aborts or the client closes.
 */

import { HistoryCompactedError } from '../../errors.js';
import type { ChangeBatch, WatchRequest } from '../../shared-state/backend.js';
import type { RedisConnections } from './client.js';
import { parseChanges } from './entries.js';
import { translateError } from './errors.js';
import type { LockWakeups, Wakeup } from './wakeups.js';

/** MAX_WAIT_MS is the longest a caught-up watcher waits without a message before it reads anyway. */
const MAX_WAIT_MS = 30_000;

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
  /** wakeups is the client's shared subscriber for dict change messages. */
  readonly wakeups: LockWakeups;
  /** stream is the dict's change stream key. */
  readonly stream: string;
  /** meta is the dict's meta hash key (field `h` is its history id). */
  readonly meta: string;
  /** state purges due expiries and reads the dict's state. */
  readonly state: () => Promise<DictState>;
  /** onClose holds stop functions the backend calls when it closes. */
  readonly onClose: Set<() => void>;
  readonly closed: () => boolean;
}

type XRangeReply = Array<[string, string[]]>;

/** watchDict yields the change batches after `request.fromVersion` (default: the current version). */
export async function* watchDict(deps: WatchDeps, request: WatchRequest): AsyncGenerator<ChangeBatch> {
  const { signal } = request;
  const prefix = request.prefix ?? '';
  if (signal?.aborted || deps.closed()) return;
  const stopping = new AbortController();
  const stop = () => stopping.abort();
  deps.onClose.add(stop);
  signal?.addEventListener('abort', stop, { once: true });
  let wakeup: Wakeup | undefined;
  try {
    // Listen before the first read, so a change published after that read is heard.
    wakeup = await deps.wakeups.listen(deps.stream);
    let state = await deps.state();
    let cursor = request.fromVersion ?? state.version;
    const oldest = state.oldest ?? state.version + 1;
    if (cursor < oldest - 1) throw new HistoryCompactedError(cursor, oldest);
    // Another history (Redis lost the dict) or a version it never reached: resuming would skip or repeat.
    if (cursor > state.version || (request.history !== undefined && request.history !== state.history))
      throw new HistoryCompactedError(cursor, undefined);
    // A history id appears with version 1; a watch from 0 on a dict never written learns it then.
    let history = state.history;
    let expiryAt = dueAt(state);
    while (!stopping.signal.aborted) {
      if (performance.now() >= expiryAt) {
        state = await deps.state();
        expiryAt = dueAt(state);
      }
      wakeup.reset();
      const page = deps.conns.settings.watchPage;
      // The history id is read beside every page (one round trip): a Redis that lost the dict
      // while this watch waited (a restart without persistence, a FLUSHALL) starts a new history,
      // whose versions must not be taken for the old one's.
      const [reply, current] = await readPage(deps, cursor, page);
      if (history !== undefined && current !== history) throw new HistoryCompactedError(cursor, undefined);
      history ??= current;
      let sawTtl = false;
      for (const [id, fields] of reply) {
        const version = Number.parseInt(id, 10);
        if (version !== cursor + 1) throw new HistoryCompactedError(cursor, version);
        cursor = version;
        const parsed = parseChanges(fields);
        sawTtl ||= parsed.sawTtl;
        const changes = prefix ? parsed.changes.filter((c) => c.key.startsWith(prefix)) : parsed.changes;
        if (changes.length > 0) yield { version, changes, history };
        if (stopping.signal.aborted) return;
      }
      if (sawTtl) expiryAt = Math.min(expiryAt, performance.now());
      if (reply.length >= page) continue;
      const waitMs = Math.max(1, Math.min(MAX_WAIT_MS, Math.ceil(expiryAt - performance.now())));
      await wakeup.wait(waitMs, stopping.signal);
    }
  } catch (err) {
    if (stopping.signal.aborted || deps.closed()) return;
    throw translateError(err);
  } finally {
    deps.onClose.delete(stop);
    signal?.removeEventListener('abort', stop);
    wakeup?.leave();
  }
}

/** readPage reads up to `page` stream entries after `cursor` and the dict's history id, in one pipeline (one slot). */
async function readPage(
  deps: WatchDeps,
  cursor: number,
  page: number,
): Promise<[XRangeReply, string | undefined]> {
  const results = await deps.conns.main
    .pipeline()
    .xrange(deps.stream, `${cursor + 1}-0`, '+', 'COUNT', page)
    .hget(deps.meta, 'h')
    .exec();
  const [xrange, hget] = results ?? [];
  if (!xrange || !hget) throw new Error('redis pipeline returned no result');
  if (xrange[0]) throw xrange[0];
  if (hget[0]) throw hget[0];
  const h = hget[1];
  return [xrange[1] as XRangeReply, typeof h === 'string' ? h : undefined];
}

/** dueAt converts the state's next expiry to a performance.now() instant (Infinity when none). */
function dueAt(state: DictState): number {
  if (state.nextExpiry === undefined) return Number.POSITIVE_INFINITY;
  return performance.now() + Math.max(0, state.nextExpiry - state.now) + 1;
}
