/**
 * watchUntil: wait, by a dict's watch, until a change to one key satisfies a test. The building
 * block of SharedEvent and Barrier: they keep their state in a dict entry and wake on its changes, so
 * they work on every backend that has dicts, with the same no-gap guarantee as `watch`.
 *
 * How it fails: resolves 'timeout' when `waitMs` passes; rejects with the caller's
 * `signal.reason` when aborted; BackendUnavailableError from the watch. A compacted history
 * (HistoryCompactedError) is handled by reading the key again and watching from there.
 */
import { HistoryCompactedError } from '../errors.js';
import type { Entry, SharedDict } from '../shared-state/dict.js';

/** watchUntil resolves 'done' once `done(entry)` is true for the key's current or a later state. */
export async function watchUntil<T>(
  dict: SharedDict<T>,
  key: string,
  done: (entry: Entry<T> | undefined) => boolean,
  options: { waitMs: number; signal?: AbortSignal | undefined },
): Promise<'done' | 'timeout'> {
  options.signal?.throwIfAborted();
  const timeout = Number.isFinite(options.waitMs) ? AbortSignal.timeout(options.waitMs) : undefined;
  const signals = [options.signal, timeout].filter((s): s is AbortSignal => s !== undefined);
  const signal = signals.length > 0 ? AbortSignal.any(signals) : undefined;
  for (;;) {
    // Version first, then the key: a change after `from` is in the watch, one before is in the read.
    const from = await dict.version();
    if (done(await dict.getEntry(key))) return 'done';
    try {
      for await (const change of dict.watch({ prefix: key, fromVersion: from, signal })) {
        if (change.key !== key) continue;
        const entry =
          change.type === 'set' ? { value: change.value as T, version: change.version } : undefined;
        if (done(entry)) return 'done';
      }
    } catch (err) {
      if (options.signal?.aborted) throw options.signal.reason;
      if (timeout?.aborted) return 'timeout';
      if (err instanceof HistoryCompactedError) continue;
      throw err;
    }
    if (options.signal?.aborted) throw options.signal.reason;
    if (timeout?.aborted) return 'timeout';
  }
}
