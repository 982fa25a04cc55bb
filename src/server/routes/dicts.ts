/**
 * dictRoutes: whole-dict operations — batch, list a page, clear, size and version, and the list
 * of dicts. How they fail: 412 `version_conflict` when an op's ifVersion does not hold (nothing
 * applied); 409 `stale_fence` for a refused fenced batch; 400 for bad ops, prefix or cursor;
 * 501 `unsupported` when the backend cannot list dicts.
 */
import type { RouteDeps } from '../options.js';
import { defineRoute, type Route } from '../route.js';
import {
  BatchBody,
  DictInfoBody,
  DictParams,
  DictsBody,
  FenceHeaders,
  ListEntriesQuery,
  PageBody,
  VersionBody,
} from '../schemas.js';
import { counted, fenceFrom } from './conditions.js';
import { listingRoute } from './listing.js';

const WRITE = { kind: 'dict', right: 'write', param: 'dict' } as const;
const READ = { kind: 'dict', right: 'read', param: 'dict' } as const;

/** dictRoutes declares the /v1/dicts and /v1/dicts/{dict} endpoints (keys and watch live elsewhere). */
export function dictRoutes({ baton, metrics, limits }: RouteDeps): Route[] {
  return [
    defineRoute({
      method: 'post',
      path: '/v1/dicts/:dict/batch',
      summary: 'Apply set/delete operations all or nothing, as one version',
      tag: 'dicts',
      access: WRITE,
      params: DictParams,
      headers: FenceHeaders,
      body: BatchBody,
      responses: { 200: { description: 'all applied', schema: VersionBody } },
      problems: [409, 412, 413],
      async handler({ params, headers, body, res }) {
        const fence = fenceFrom(headers);
        const version = await counted(metrics, 'batch', () =>
          baton.dict(params.dict).batch(body.ops, { fence }),
        );
        res.json({ version });
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/dicts/:dict',
      summary: 'Read a page of entries, in key order',
      tag: 'dicts',
      access: READ,
      params: DictParams,
      query: ListEntriesQuery,
      responses: { 200: { description: 'one page; pass cursor back for the next', schema: PageBody } },
      async handler({ params, query, res }) {
        const page = await counted(metrics, 'list', () =>
          baton
            .dict(params.dict)
            .entries({ prefix: query.prefix, limit: query.limit ?? 100, cursor: query.cursor }),
        );
        res.json({
          entries: page.entries,
          ...(page.cursor !== undefined ? { cursor: page.cursor } : {}),
          version: page.version,
          ...(page.history !== undefined ? { history: page.history } : {}),
        });
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/v1/dicts/:dict',
      summary: 'Delete every entry (watchers see one delete per key)',
      tag: 'dicts',
      access: WRITE,
      params: DictParams,
      responses: { 204: { description: 'cleared' } },
      async handler({ params, res }) {
        await counted(metrics, 'clear', () => baton.dict(params.dict).clear());
        res.status(204).end();
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/dicts/:dict/info',
      summary: "A dict's size and current version",
      tag: 'dicts',
      access: READ,
      params: DictParams,
      responses: { 200: { description: 'size and version', schema: DictInfoBody } },
      async handler({ params, res }) {
        const dict = baton.dict(params.dict);
        const [size, version] = await counted(metrics, 'info', () =>
          Promise.all([dict.size(), dict.version()]),
        );
        res.json({ name: params.dict, size, version });
      },
    }),
    listingRoute(limits.maxListScan, {
      path: '/v1/dicts',
      summary: 'List the dicts that have entries and that this token may read',
      tag: 'dicts',
      field: 'dicts',
      description: 'dict names and sizes',
      schema: DictsBody,
      problems: [501],
      kind: 'dict',
      list: (options) => baton.listDicts(options),
    }),
  ];
}
