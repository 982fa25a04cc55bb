/**
 * poolRoutes: the /v1/semaphores and /v1/rwlocks endpoints — acquire (long-poll), extend,
 * release, inspect and list — declared once for both kinds over the public Semaphore and RwLock
 * API, as lockRoutes does for locks. The server keeps no lease state: the caller extends and
 * releases by the token (`extendToken` / `releaseToken`); extends of one token run one after
 * another in arrival order (KeyedQueue). Access uses the token's lock rights and
 * lock name patterns (a semaphore or read-write lock is a lock).
 *
 * A semaphore acquire carries `permits` (the semaphore's size, fixed by the first acquire of an
 * unused semaphore) and `count` (default 1); without `permits`, the size in use is taken, and an
 * unused semaphore answers 400. A read-write lock acquire carries `mode`: read or write.
 *
 * How they fail: 409 `lock_timeout` (lock `semaphore/<name>` or `rwlock/<name>`) when not granted
 * within this request's wait (capped by `limits.maxWaitMs`; the caller asks again); 409
 * `lock_lost` when extending a token that holds nothing; 400 `invalid_argument` when `permits`
 * differs from the size in use or `count` exceeds it (nothing changed); 501 `unsupported` when
 * the server's backend has none (Redlock); 503 as for locks.
 */
import type { z } from 'zod';
import {
  type Baton,
  InvalidArgumentError,
  type Lease,
  type RwLockInfo,
  type SemaphoreInfo,
} from '../../index.js';
import type { TokenLeases } from '../../locks/semaphore.js';
import type { RouteDeps } from '../options.js';
import { defineRoute, type Route } from '../route.js';
import {
  GrantBody,
  LockParams,
  RwLockAcquireBody,
  RwLockInfoBody,
  RwLocksBody,
  SemaphoreAcquireBody,
  SemaphoreInfoBody,
  SemaphoresBody,
} from '../schemas.js';
import { type AcquireCall, answerGrant, tokenRoutes } from './grant.js';
import { listingRoute } from './listing.js';

/** PoolKind is what differs between semaphores and read-write locks on the wire. */
interface PoolKind<B extends z.ZodType, I extends { name: string }> {
  /** kind names the fence scope and errors: `<kind>/<name>`. */
  readonly kind: 'semaphore' | 'rwlock';
  /** plural is the path segment and the list's field. */
  readonly plural: 'semaphores' | 'rwlocks';
  readonly title: string;
  readonly body: B;
  readonly info: z.ZodType;
  readonly list: z.ZodType;
  acquire(name: string, body: z.output<B>, call: AcquireCall): Promise<Lease>;
  tokens(name: string): TokenLeases;
  inspect(name: string): Promise<I>;
  listed(options: { prefix?: string | undefined; limit: number }): Promise<I[]>;
}

/** poolRoutes declares the /v1/semaphores and /v1/rwlocks endpoints. */
export function poolRoutes(deps: RouteDeps): Route[] {
  const { baton } = deps;
  const semaphores: PoolKind<typeof SemaphoreAcquireBody, SemaphoreInfo> = {
    kind: 'semaphore',
    plural: 'semaphores',
    title: 'semaphore',
    body: SemaphoreAcquireBody,
    info: SemaphoreInfoBody,
    list: SemaphoresBody,
    async acquire(name, body, call) {
      const permits = body.permits ?? (await permitsInUse(baton, name));
      return baton.semaphore(name, { permits }).acquire({ ttlMs: body.ttlMs, count: body.count, ...call });
    },
    tokens: (name) => baton.semaphore(name),
    inspect: async (name) => publicSemaphore(await baton.semaphore(name).inspect()),
    listed: async (options) => (await baton.listSemaphores(options)).map(publicSemaphore),
  };
  const rwlocks: PoolKind<typeof RwLockAcquireBody, RwLockInfo> = {
    kind: 'rwlock',
    plural: 'rwlocks',
    title: 'read-write lock',
    body: RwLockAcquireBody,
    info: RwLockInfoBody,
    list: RwLocksBody,
    acquire(name, body, call) {
      const lock = baton.rwlock(name);
      const options = { ttlMs: body.ttlMs, ...call };
      return body.mode === 'write' ? lock.write(options) : lock.read(options);
    },
    tokens: (name) => baton.rwlock(name),
    inspect: (name) => baton.rwlock(name).inspect(), // rwLockInfo copies only public fields
    listed: (options) => baton.listRwLocks(options),
  };
  return [...routesOf(deps, semaphores), ...routesOf(deps, rwlocks)];
}

function routesOf<B extends z.ZodType, I extends { name: string }>(
  deps: RouteDeps,
  k: PoolKind<B, I>,
): Route[] {
  const base = `/v1/${k.plural}`;
  const access = { kind: 'lock', right: 'lock', param: 'name' } as const;
  return [
    defineRoute({
      method: 'post',
      path: `${base}/:name/acquire`,
      summary:
        k.kind === 'semaphore'
          ? 'Acquire `count` permits of a semaphore of `permits`, waiting up to waitMs (capped per request)'
          : 'Acquire a read or write lease, waiting up to waitMs (capped per request); a waiting writer holds back later readers',
      tag: k.plural,
      access,
      params: LockParams,
      body: k.body,
      emptyBodyAs: k.kind === 'semaphore' ? {} : undefined,
      responses: { 200: { description: 'granted; keep the token secret', schema: GrantBody } },
      problems: [409, 501],
      async handler({ params, body, req, res, signal }) {
        const b = body as z.output<B> & { waitMs?: number; owner?: string };
        await answerGrant(
          deps,
          { kind: k.kind, name: params.name, waitMs: b.waitMs, owner: b.owner, req, res, signal },
          (call) => k.acquire(params.name, b, call),
        );
      },
    }),
    ...tokenRoutes({
      base,
      tag: k.plural,
      extendSummary: `Extend a ${k.title} lease by its token`,
      releaseSummary: `Release a ${k.title} lease by its token (released: false when it held nothing any more)`,
      releasedDescription: 'whether the token still held its lease',
      unsupported: true,
      lockName: (name) => `${k.kind}/${name}`,
      tokens: k.tokens,
    }),
    defineRoute({
      method: 'get',
      path: `${base}/:name`,
      summary: `Inspect a ${k.title}: its holders, never their tokens`,
      tag: k.plural,
      access: { kind: 'lock', right: 'read', param: 'name' },
      params: LockParams,
      responses: { 200: { description: `the ${k.title}`, schema: k.info } },
      problems: [501],
      async handler({ params, res }) {
        res.json(await k.inspect(params.name));
      },
    }),
    listingRoute(deps.limits.maxListScan, {
      path: base,
      summary: `List the ${k.plural} with holders that this token may read (never their tokens)`,
      tag: k.plural,
      field: k.plural,
      description: `${k.plural} with holders, by name`,
      schema: k.list,
      problems: [501],
      kind: 'lock',
      list: (options) => k.listed(options),
    }),
  ];
}

/** permitsInUse is the size of a semaphore in use, for an acquire that gives no `permits`. */
async function permitsInUse(baton: Baton, name: string): Promise<number> {
  const { permits } = await baton.semaphore(name).inspect();
  if (permits > 0) return permits;
  throw new InvalidArgumentError(
    `semaphore "${name}" is not in use, so this acquire must give permits (the semaphore's size)`,
  );
}

/** publicSemaphore copies only the public fields of a SemaphoreInfo, whatever else a backend attached. */
function publicSemaphore(info: SemaphoreInfo): SemaphoreInfo {
  return {
    name: info.name,
    permits: info.permits,
    used: info.used,
    fence: info.fence,
    holders: info.holders.map((h) => ({
      count: h.count,
      fence: h.fence,
      expiresAt: h.expiresAt,
      ...(h.owner !== undefined ? { owner: h.owner } : {}),
    })),
    ...(info.waiting !== undefined ? { waiting: info.waiting } : {}),
  };
}
