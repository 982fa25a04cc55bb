/**
 * visiblePage: one page of a listing of names (held locks, semaphores, rwlocks, dicts) as a token
 * sees it. The token's name patterns are applied before the page size, so a narrow token gets
 * `limit` names when there are that many it may read; `cursor` is the last name of the previous
 * page, and a page holds only names after it, so paging neither skips nor repeats a name.
 *
 * The backends list from the start of a prefix, by name, up to a count; they take no cursor.
 * So a page asks for `limit + 1` names past what it must skip, doubling while too few are
 * visible, and stops at `maxScan` names read: the work of one request is bounded. A listing cut
 * there says `truncated` — names past the first `maxScan` under the prefix cannot be paged to,
 * and the caller narrows the prefix.
 *
 * `listingRoute` declares a whole listing endpoint (GET /v1/locks, /v1/dicts, /v1/semaphores,
 * /v1/rwlocks) over visiblePage: the paging query, the token's read right on each name, and the
 * answer `{ <field>: [...], cursor?, truncated? }`.
 *
 * How it fails: as the backend's listing does (UnsupportedError, BackendUnavailableError).
 */
import type { z } from 'zod';
import { allows } from '../auth.js';
import { defineRoute, type Route } from '../route.js';
import { ListLocksQuery } from '../schemas.js';

/** VisiblePage is one page: the items, the cursor of the next page, and whether the scan was cut. */
interface VisiblePage<I> {
  readonly items: I[];
  readonly cursor?: string;
  readonly truncated?: true;
}

/** visiblePage reads pages of `list` until `limit` visible names after `cursor`, or the end, or `maxScan`. */
async function visiblePage<I extends { name: string }>(options: {
  readonly list: (limit: number) => Promise<I[]>;
  readonly visible: (name: string) => boolean;
  readonly limit: number;
  readonly cursor: string | undefined;
  readonly maxScan: number;
}): Promise<VisiblePage<I>> {
  const { list, visible, limit, cursor, maxScan } = options;
  let window = Math.min(maxScan, limit + 1);
  for (;;) {
    const read = await list(window);
    const after = read.filter((i) => (cursor === undefined || i.name > cursor) && visible(i.name));
    if (after.length > limit) {
      const items = after.slice(0, limit);
      return { items, cursor: items[items.length - 1]!.name };
    }
    if (read.length < window) return { items: after };
    if (window >= maxScan) return { items: after, truncated: true };
    window = Math.min(maxScan, window * 2);
  }
}

/** pageRest is the `cursor` and `truncated` fields of a listing's answer, when set. */
function pageRest(page: VisiblePage<unknown>): { cursor?: string; truncated?: true } {
  return {
    ...(page.cursor !== undefined ? { cursor: page.cursor } : {}),
    ...(page.truncated ? { truncated: true as const } : {}),
  };
}

/** ListingSpec is what one listing endpoint declares beside the paging all listings share. */
export interface ListingSpec<I extends { name: string }> {
  readonly path: string;
  readonly summary: string;
  readonly tag: string;
  /** field names the list in the answer (`locks`, `dicts`, …). */
  readonly field: string;
  /** description and schema document the answer. */
  readonly description: string;
  readonly schema: z.ZodType;
  readonly problems?: readonly number[];
  /** kind is whose read right the token needs on a name to see it listed. */
  readonly kind: 'lock' | 'dict';
  /** list reads names from the start of `prefix`, up to `limit`, as the answer shows them. */
  list(options: { prefix: string | undefined; limit: number }): Promise<I[]>;
}

/** listingRoute declares GET `spec.path`: one page of the names this token may read, `maxScan` at most read. */
export function listingRoute<I extends { name: string }>(maxScan: number, spec: ListingSpec<I>): Route {
  return defineRoute({
    method: 'get',
    path: spec.path,
    summary: spec.summary,
    tag: spec.tag,
    access: { kind: 'token' },
    query: ListLocksQuery,
    responses: { 200: { description: spec.description, schema: spec.schema } },
    problems: spec.problems,
    async handler({ query, principal, res }) {
      const page = await visiblePage({
        list: (limit) => spec.list({ prefix: query.prefix, limit }),
        visible: (name) => allows(principal, spec.kind, name, 'read'),
        limit: query.limit ?? 1000,
        cursor: query.cursor,
        maxScan,
      });
      res.json({ [spec.field]: page.items, ...pageRest(page) });
    },
  });
}
