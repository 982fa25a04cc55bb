/**
 * follow: the live contents of a dict (or of the keys under a prefix), kept by a listing followed
 * by the dict's watch. The building block of the recipes: a group's membership and an election's
 * leader are dict entries, and every process follows them the same way on every backend.
 *
 * How it fails: rejects with BackendUnavailableError from the store. A compacted or restarted
 * history (HistoryCompactedError) or a watch that fell behind (WatchOverflowError) is handled by
 * listing again. Ends quietly when `signal` aborts.
 */
import { HistoryCompactedError, WatchOverflowError } from '../errors.js';
import type { SharedDict } from '../shared-state/dict.js';

/** LIST_PAGE is the page size of the listing; a listing of one page is consistent with its version. */
const LIST_PAGE = 1000;

/**
 * follow yields the dict's entries under `prefix` (key → value) once after listing them and again
 * after every change, until `signal` aborts. It yields the same Map each time: read it before
 * pulling the next one. The states it yields converge on the store's: a listing of more than one
 * page may be followed by a replay of changes the listing already saw.
 */
export async function* follow<T>(
  dict: SharedDict<T>,
  options: { prefix?: string | undefined; signal?: AbortSignal | undefined } = {},
): AsyncGenerator<ReadonlyMap<string, T>> {
  const { prefix, signal } = options;
  while (!signal?.aborted) {
    const before = await dict.version();
    const state = new Map<string, T>();
    let cursor: string | undefined;
    let from = before;
    let pages = 0;
    do {
      const page = await dict.entries({ prefix, limit: LIST_PAGE, cursor });
      for (const e of page.entries) state.set(e.key, e.value);
      cursor = page.cursor;
      if (pages++ === 0 && cursor === undefined) from = page.version;
    } while (cursor !== undefined);
    yield state;
    try {
      for await (const c of dict.watch({ prefix, fromVersion: from, signal })) {
        if (c.type === 'set') state.set(c.key, c.value as T);
        else state.delete(c.key);
        yield state;
      }
      return;
    } catch (err) {
      if (signal?.aborted) return;
      if (err instanceof HistoryCompactedError || err instanceof WatchOverflowError) continue;
      throw err;
    }
  }
}
