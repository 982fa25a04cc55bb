/**
 * answerGrant: the long-poll acquire every lease route shares (locks, semaphores, read-write
 * locks). It caps the request's wait at `limits.maxWaitMs` (the caller asks again), counts the
 * wait in the metrics, and answers `{ name, token, fence, expiresAt, ttlMs, waitedMs }`. The
 * server keeps no lease state: the caller extends and releases by the token.
 *
 * `waitedMs` is how long after this request arrived the lease's TTL started on the server
 * (monotonic clock, rounded down, and earlier by the lease's drift margin), so a caller can
 * count its TTL from `its send time + waitedMs` — never later than the server counts it —
 * instead of from its send time, which after a long wait would leave it little or no TTL.
 *
 * How it fails: rethrows the acquire's error (409 `lock_timeout` when not granted within this
 * request's wait, 400 for what the library refuses); 503 `backend_unavailable` when the server
 * starts shutting down during the wait. If the caller disconnects while waiting, the wait is
 * cancelled and nothing is answered; if a grant races the disconnect, the lease is released at
 * once, so nobody is left holding what no one knows about.
 *
 * `tokenRoutes` declares the extend and release endpoints every lease kind shares: by token, with
 * the extends of one token run one after another in arrival order (KeyedQueue), as a Lease does;
 * 409 `lock_lost` when extending a token that holds nothing.
 */
import type { Request, Response } from 'express';
import { BackendUnavailableError, type Lease, LockLostError, LockTimeoutError } from '../../index.js';
import type { TokenLeases } from '../../locks/semaphore.js';
import type { RouteDeps } from '../options.js';
import { KeyedQueue } from '../ordered.js';
import { defineRoute, type Route } from '../route.js';
import { ExtendBody, ExtendedBody, LockParams, ReleaseBody, ReleasedBody } from '../schemas.js';

/** GrantRequest is what one acquire request carries, beside what its kind adds. */
export interface GrantRequest {
  /** kind labels the wait in the metrics. */
  readonly kind: 'lock' | 'semaphore' | 'rwlock';
  readonly name: string;
  /** waitMs is the caller's wait (default 0), before the server's cap. */
  readonly waitMs: number | undefined;
  /** owner is the caller's label; default `http:<client address>`. */
  readonly owner: string | undefined;
  readonly req: Request;
  readonly res: Response;
  readonly signal: AbortSignal;
}

/** AcquireCall is what answerGrant hands the kind's acquire: the capped wait, the owner, the signal. */
export interface AcquireCall {
  readonly waitMs: number;
  readonly owner: string;
  readonly signal: AbortSignal;
}

/** answerGrant runs `acquire` for one request and answers the grant (see the module comment). */
export async function answerGrant(
  deps: RouteDeps,
  r: GrantRequest,
  acquire: (call: AcquireCall) => Promise<Lease>,
): Promise<void> {
  const { limits, metrics } = deps;
  const waitMs = Math.min(r.waitMs ?? 0, limits.maxWaitMs);
  const started = performance.now();
  const observe = (outcome: string) =>
    metrics.lockWait.observe({ kind: r.kind, outcome }, (performance.now() - started) / 1000);
  if (waitMs > 0) metrics.openStreams.inc({ kind: 'long_poll' });
  let lease: Lease;
  try {
    lease = await acquire({
      waitMs,
      owner: r.owner ?? `http:${r.req.socket.remoteAddress ?? 'unknown'}`,
      signal: r.signal,
    });
  } catch (err) {
    if (err instanceof LockTimeoutError) {
      observe('timeout');
      throw err;
    }
    observe(r.signal.aborted ? 'aborted' : 'error');
    if (deps.shutdown.aborted) throw new BackendUnavailableError('the server is shutting down; try again');
    if (r.signal.aborted) return; // the caller went away; nobody to answer
    throw err;
  } finally {
    if (waitMs > 0) metrics.openStreams.dec({ kind: 'long_poll' });
  }
  observe('granted');
  const { res } = r;
  if (res.destroyed) {
    await lease.release().catch(() => false);
    return;
  }
  res.once('close', () => {
    if (!res.writableFinished) void lease.release().catch(() => false);
  });
  res.json({
    name: r.name,
    token: lease.token,
    fence: lease.fence,
    expiresAt: lease.expiresAt,
    ttlMs: lease.ttlMs,
    waitedMs: waitedBefore(lease, started),
  });
}

/**
 * waitedBefore is how long after `arrived` (performance.now() scale) the lease's TTL started,
 * from the lease's conservative local deadline (its start + TTL − drift margin), so it is never
 * more than the true wait; 1 ms is taken off for the rounding of `expiresAt` to whole ms.
 */
function waitedBefore(lease: Lease, arrived: number): number {
  const deadline = performance.now() + (lease.expiresAt - Date.now());
  return Math.max(0, Math.floor(deadline - lease.ttlMs - arrived) - 1);
}

/** TokenRoutesSpec is what differs between the lease kinds' extend and release endpoints. */
export interface TokenRoutesSpec {
  /** base is the path before `/:name/extend` and `/:name/release`. */
  readonly base: string;
  readonly tag: string;
  readonly extendSummary: string;
  readonly releaseSummary: string;
  /** releasedDescription documents the release answer (`released`). */
  readonly releasedDescription: string;
  /** unsupported documents 501: the server's backend may have none of this kind. */
  readonly unsupported: boolean;
  /** lockName is the name a LockLostError carries (`semaphore/<name>` for a semaphore). */
  lockName(name: string): string;
  tokens(name: string): TokenLeases;
}

/** tokenRoutes declares POST `<base>/:name/extend` and `<base>/:name/release` (see the module comment). */
export function tokenRoutes(spec: TokenRoutesSpec): Route[] {
  const access = { kind: 'lock', right: 'lock', param: 'name' } as const;
  const extending = new KeyedQueue(); // per `name\0token`
  return [
    defineRoute({
      method: 'post',
      path: `${spec.base}/:name/extend`,
      summary: spec.extendSummary,
      tag: spec.tag,
      access,
      params: LockParams,
      body: ExtendBody,
      responses: { 200: { description: 'extended', schema: ExtendedBody } },
      problems: spec.unsupported ? [409, 501] : [409],
      async handler({ params, body, res }) {
        const r = await extending.run(`${params.name}\u0000${body.token}`, () =>
          spec.tokens(params.name).extendToken(body.token, body.ttlMs),
        );
        if (!r) throw new LockLostError(spec.lockName(params.name));
        res.json({ name: params.name, fence: r.fence, expiresAt: r.expiresAt, ttlMs: r.ttlMs });
      },
    }),
    defineRoute({
      method: 'post',
      path: `${spec.base}/:name/release`,
      summary: spec.releaseSummary,
      tag: spec.tag,
      access,
      params: LockParams,
      body: ReleaseBody,
      responses: { 200: { description: spec.releasedDescription, schema: ReleasedBody } },
      problems: spec.unsupported ? [501] : [],
      async handler({ params, body, res }) {
        res.json({ released: await spec.tokens(params.name).releaseToken(body.token) });
      },
    }),
  ];
}
