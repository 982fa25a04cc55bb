/**
 * lockRoutes: acquire (long-poll), extend, release, inspect and list, over the public Lock API.
 * The server keeps no lease state of its own: a grant's token goes to the caller, who extends
 * and releases by token (`Lock.extendToken` / `releaseToken`), exactly as if it held the Lease.
 * Extends of one token are run one after another in arrival order (KeyedQueue), as a Lease does.
 *
 * How they fail: 409 `lock_timeout` when not granted within this request's wait (capped by
 * `limits.maxWaitMs`; the caller asks again), 409 `lock_lost` when extending a token that no
 * longer holds the lock, 503 `backend_unavailable` when the backend is away or the server is
 * shutting down. If the caller disconnects while waiting, the wait is cancelled; if a grant
 * races the disconnect, it is released at once, so nobody is left holding a lock no one knows.
 */
import type { LockInfo } from '../../index.js';
import type { RouteDeps } from '../options.js';
import { defineRoute, type Route } from '../route.js';
import { AcquireBody, GrantBody, LockInfoBody, LockParams, LocksBody } from '../schemas.js';
import { answerGrant, tokenRoutes } from './grant.js';
import { listingRoute } from './listing.js';

/** lockRoutes declares the /v1/locks endpoints. */
export function lockRoutes(deps: RouteDeps): Route[] {
  const { baton } = deps;
  return [
    defineRoute({
      method: 'post',
      path: '/v1/locks/:name/acquire',
      summary: 'Acquire a lock, waiting up to waitMs (capped per request) for the holder to go',
      tag: 'locks',
      access: { kind: 'lock', right: 'lock', param: 'name' },
      params: LockParams,
      body: AcquireBody,
      emptyBodyAs: {},
      responses: { 200: { description: 'granted; keep the token secret', schema: GrantBody } },
      problems: [409],
      async handler({ params, body, req, res, signal }) {
        await answerGrant(
          deps,
          { kind: 'lock', name: params.name, waitMs: body.waitMs, owner: body.owner, req, res, signal },
          (call) => baton.lock(params.name).acquire({ ttlMs: body.ttlMs, ...call }),
        );
      },
    }),
    ...tokenRoutes({
      base: '/v1/locks',
      tag: 'locks',
      extendSummary: 'Extend a lease by its token',
      releaseSummary: 'Release a lease by its token (released: false when it had already lost the lock)',
      releasedDescription: 'whether the token still held the lock',
      unsupported: false,
      lockName: (name) => name,
      tokens: (name) => baton.lock(name),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/locks/:name',
      summary: 'Inspect a lock (never its token)',
      tag: 'locks',
      access: { kind: 'lock', right: 'read', param: 'name' },
      params: LockParams,
      responses: { 200: { description: 'the lock', schema: LockInfoBody } },
      async handler({ params, res }) {
        res.json(publicInfo(await baton.lock(params.name).inspect()));
      },
    }),
    listingRoute(deps.limits.maxListScan, {
      path: '/v1/locks',
      summary: 'List held locks this token may read (never their tokens)',
      tag: 'locks',
      field: 'locks',
      description: 'held locks, by name',
      schema: LocksBody,
      kind: 'lock',
      list: async (options) => (await baton.listLocks(options)).map(publicInfo),
    }),
  ];
}

/** publicInfo copies only the public fields of a LockInfo, whatever else a backend attached. */
function publicInfo(info: LockInfo): LockInfo {
  return {
    name: info.name,
    held: info.held,
    fence: info.fence,
    ...(info.expiresAt !== undefined ? { expiresAt: info.expiresAt } : {}),
    ...(info.owner !== undefined ? { owner: info.owner } : {}),
  };
}
