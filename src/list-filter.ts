/**
 * ListFilter: which names a listing returns, the one filter every listing of the backend
 * contracts takes (held locks, semaphores and rwlocks, dict names, a dict's keys). It is only a
 * shape: the backends apply it, and nothing here fails.
 */

/** ListFilter selects the names that start with `prefix` (every name without it), at most `limit` of them. */
export interface ListFilter {
  readonly prefix?: string | undefined;
  /** limit bounds how many are returned; each listing states its default. */
  readonly limit?: number | undefined;
}
