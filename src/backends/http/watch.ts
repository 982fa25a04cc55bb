/**
 * watchStream reads a dict's SSE watch (eventsource-parser) and yields its changes, reconnecting
 * after a dropped connection without a gap or a repeat. The changes of one version share one
 * event id and may be cut by a drop, so it resumes from the version before the last one it saw
 * and skips the changes of that version it already yielded (within one version each key changes
 * once). Without `fromVersion` it first reads the dict's version, so "from now" is exact too.
 *
 * How it fails: HistoryCompactedError when the server says the history is gone (410 or
 * `event: reset`); BackendUnavailableError when the server stays unreachable for `timeoutMs`
 * after a drop; other problems as their typed errors. Each resume sends `<history>:<version>` as
 * Last-Event-ID, so a server whose store restarted (another history) refuses it with 410 instead
 * of streaming the new store's versions as if they continued the old ones. It ends quietly when `signal` aborts or the
 * client is closed.
 */
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import {
  BackendUnavailableError,
  type BatonError,
  errorFromCode,
  HistoryCompactedError,
} from '../../errors.js';
import type { ChangeBatch, StoredChange, WatchRequest } from '../../shared-state/backend.js';
import type { HttpClient } from './client.js';
import { transportError } from './translate.js';

/** WatchStreamOptions tune the reader. */
export interface WatchStreamOptions {
  /** idleMs is the longest silence (keep-alives included) before the connection counts as dropped. */
  readonly idleMs: number;
  /** currentVersion reads the dict's version, for a watch "from now". */
  readonly currentVersion: () => Promise<number>;
}

type Parsed = { change: ChangeBatch } | { error: BatonError };

/** watchStream yields change batches of one dict (one change per batch) until aborted. */
export async function* watchStream(
  client: HttpClient,
  dictPath: string,
  request: WatchRequest,
  options: WatchStreamOptions,
): AsyncGenerator<ChangeBatch> {
  const { signal, prefix } = request;
  let complete = request.fromVersion ?? (await options.currentVersion());
  // history is sent back with every resume, so a restarted server (another history) answers 410.
  let history = request.history;
  let partial: { version: number; seen: Set<string> } | undefined;
  let downSince: number | undefined;
  let backoffMs = 50;
  const stopped = () => signal?.aborted === true || client.closed;

  while (!stopped()) {
    const after = partial ? partial.version - 1 : complete;
    const q = prefix ? `?prefix=${encodeURIComponent(prefix)}` : '';
    let lastError: BatonError | undefined;
    try {
      const stream = await client.stream(
        `${dictPath}/watch${q}`,
        { 'last-event-id': history === undefined ? String(after) : `${history}:${after}` },
        signal,
        options.idleMs,
      );
      downSince = undefined;
      backoffMs = 50;
      const queue: Parsed[] = [];
      const parser = createParser({
        onEvent: (e) => {
          const item = parse(e);
          if (item) queue.push(item);
        },
      });
      const decoder = new TextDecoder();
      try {
        for await (const chunk of stream.body) {
          parser.feed(decoder.decode(chunk, { stream: true }));
          for (const item of queue.splice(0)) {
            if ('error' in item) {
              if (!item.error.retryable) throw item.error;
              lastError = item.error;
              break;
            }
            const { version, changes } = item.change;
            if (item.change.history !== history) {
              // The server checks the history on resume; a server that did not is not trusted.
              if (history !== undefined) throw new HistoryCompactedError(after, undefined);
              history = item.change.history;
            }
            const change = changes[0] as StoredChange;
            const id = `${change.type}\u0000${change.key}`;
            if (partial && version === partial.version) {
              if (partial.seen.has(id)) continue;
            } else if (version <= (partial?.version ?? complete)) {
              continue;
            } else {
              if (partial) complete = partial.version;
              partial = { version, seen: new Set() };
            }
            partial.seen.add(id);
            yield item.change;
          }
          if (lastError) break;
        }
      } finally {
        stream.cancel();
      }
    } catch (err) {
      if (stopped()) return;
      const e = transportError(err, client.origin); // a socket error mid-body is a dropped connection
      if (!(e instanceof BackendUnavailableError)) throw e;
      lastError = e;
    }
    if (stopped()) return;
    // The stream ended or failed: reconnect, unless the server has been away too long.
    downSince ??= performance.now();
    if (performance.now() - downSince > client.timeoutMs) {
      throw lastError ?? new BackendUnavailableError(`watch stream from ${client.origin} keeps ending`);
    }
    await sleep(backoffMs, signal);
    backoffMs = Math.min(1_000, backoffMs * 2);
  }
}

/** parse reads one event; unknown event types are skipped, for servers newer than this client. */
function parse(e: EventSourceMessage): Parsed | undefined {
  let data: Record<string, unknown>;
  try {
    data = JSON.parse(e.data) as Record<string, unknown>;
  } catch {
    return { error: new BackendUnavailableError('watch stream sent an event that is not JSON') };
  }
  if (e.event === 'reset' || e.event === 'problem') {
    const code = typeof data.code === 'string' ? data.code : 'backend_unavailable';
    return { error: errorFromCode(code, typeof data.detail === 'string' ? data.detail : code, data) };
  }
  const type = e.event;
  const colon = e.id === undefined ? -1 : e.id.lastIndexOf(':');
  const version = Number(colon < 0 ? e.id : e.id!.slice(colon + 1));
  const history = colon < 0 ? undefined : e.id!.slice(0, colon);
  if (type !== 'set' && type !== 'delete' && type !== 'expire') return undefined;
  if (!Number.isSafeInteger(version)) {
    return { error: new BackendUnavailableError(`watch stream sent an event without a version id`) };
  }
  const key = String(data.key);
  const change: StoredChange =
    type === 'set' ? { type, key, value: JSON.stringify(data.value) } : { type, key };
  return { change: { version, changes: [change], history } };
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
