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
import { type LockInfo, LockLostError } from '../../index.js';
import type { RouteDeps } from '../options.js';
import { KeyedQueue } from '../ordered.js';
import { defineRoute, type Route } from '../route.js';
import {
  AcquireBody,
  ExtendBody,
  ExtendedBody,
  GrantBody,
  LockInfoBody,
  LockParams,
  LocksBody,
  ReleaseBody,
  ReleasedBody,
} from '../schemas.js';
import { answerGrant } from './grant.js';
import { listingRoute } from './listing.js';

/** lockRoutes declares the /v1/locks endpoints. */
export function lockRoutes(deps: RouteDeps): Route[] {
  const { baton } = deps;
  const extending = new KeyedQueue(); // per `name\0token`
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
    defineRoute({
      method: 'post',
      path: '/v1/locks/:name/extend',
      summary: 'Extend a lease by its token',
      tag: 'locks',
      access: { kind: 'lock', right: 'lock', param: 'name' },
      params: LockParams,
      body: ExtendBody,
      responses: { 200: { description: 'extended', schema: ExtendedBody } },
      problems: [409],
      async handler({ params, body, res }) {
        const r = await extending.run(`${params.name}\u0000${body.token}`, () =>
          baton.lock(params.name).extendToken(body.token, body.ttlMs),
        );
        if (!r) throw new LockLostError(params.name);
        res.json({ name: params.name, fence: r.fence, expiresAt: r.expiresAt, ttlMs: r.ttlMs });
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/locks/:name/release',
      summary: 'Release a lease by its token (released: false when it had already lost the lock)',
      tag: 'locks',
      access: { kind: 'lock', right: 'lock', param: 'name' },
      params: LockParams,
      body: ReleaseBody,
      responses: { 200: { description: 'whether the token still held the lock', schema: ReleasedBody } },
      async handler({ params, body, res }) {
        res.json({ released: await baton.lock(params.name).releaseToken(body.token) });
      },
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
