/**
 * HttpLeases: acquire, extend and release of one kind of lease (locks, semaphores, read-write
 * locks) against a baton server, shared by the http backend's lock and semaphore classes.
 *
 * `acquire` long-polls: each request asks the server to wait at most its `maxWaitMs` and is
 * repeated until the caller's `waitMs` is spent (the server waits by its backend's notification,
 * so nothing polls). A grant's `startedAt` is the send time of the request that got it plus the
 * `waitedMs` the server answers (how long it waited before the TTL started there), at the latest
 * when the answer arrived: so a lease granted after a wait longer than its TTL still has its
 * TTL, and the local deadline is never later than the server's. A server that answers no
 * `waitedMs` (one from before it) gets the send time alone, conservative but short. The
 * server picks the token; the TokenMap pairs it with the caller's under the lease's fence scope
 * (the lock name, or `semaphore/<name>` / `rwlock/<name>`), so extend, release and
 * ownership-guarded dict writes send the server's.
 *
 * How it fails: BackendUnavailableError when the server is unreachable, slow past the deadline,
 * or shutting down; `signal.reason` when aborted — and a grant that arrives after the abort is
 * released at once so nothing stays held in the caller's name; otherwise the typed error the
 * server answered (InvalidArgumentError, UnsupportedError…).
 */

import { LockLostError, LockTimeoutError } from '../../errors.js';
import type { ListFilter } from '../../list-filter.js';
import type { AcquireRequest, LockGrant } from '../../locks/backend.js';
import type { HttpClient } from './client.js';
import type { TokenMap } from './tokens.js';

interface GrantReply {
  token: string;
  fence: number;
  ttlMs: number;
  /** waitedMs: see grantStart; absent from older servers. */
  waitedMs?: number;
}

/** HttpLeases talks to the lease endpoints under one base path, such as `/v1/locks`. */
export class HttpLeases {
  readonly #client: HttpClient;
  readonly #tokens: TokenMap;
  readonly #maxWaitMs: number;
  readonly #base: string;
  readonly #scope: (name: string) => string;

  /** `scope` names a lease's fence scope from its name (the key of its tokens in the TokenMap). */
  constructor(
    client: HttpClient,
    tokens: TokenMap,
    maxWaitMs: number,
    base: string,
    scope: (name: string) => string,
  ) {
    this.#client = client;
    this.#tokens = tokens;
    this.#maxWaitMs = maxWaitMs;
    this.#base = base;
    this.#scope = scope;
  }

  /** path is the URL path of one lease target. */
  path(name: string): string {
    return `${this.#base}/${encodeURIComponent(name)}`;
  }

  /** acquire long-polls for a grant; `extra` joins the request body (permits, count, mode). */
  async acquire(
    name: string,
    req: AcquireRequest,
    extra: Readonly<Record<string, unknown>> = {},
  ): Promise<LockGrant | null> {
    const deadline = performance.now() + req.waitMs;
    for (;;) {
      const remaining = Math.max(0, Math.floor(deadline - performance.now()));
      const waitMs = Math.min(remaining, this.#maxWaitMs);
      const startedAt = performance.now();
      let grant: GrantReply;
      try {
        grant = await this.#client.json<GrantReply>('POST', `${this.path(name)}/acquire`, {
          body: JSON.stringify({
            ttlMs: req.ttlMs,
            waitMs,
            ...(req.owner !== undefined ? { owner: req.owner } : {}),
            ...extra,
          }),
          signal: req.signal,
          timeoutMs: waitMs + this.#client.timeoutMs,
        });
      } catch (err) {
        if (err instanceof LockTimeoutError) {
          if (waitMs >= remaining) return null;
          continue;
        }
        throw err;
      }
      if (req.signal?.aborted) {
        await this.#client
          .call('POST', `${this.path(name)}/release`, { body: JSON.stringify({ token: grant.token }) })
          .catch(() => undefined);
        throw req.signal.reason;
      }
      const grantedAt = grantStart(startedAt, grant.waitedMs);
      this.#tokens.set(this.#scope(name), req.token, grant.token, grantedAt + grant.ttlMs);
      return { fence: grant.fence, ttlMs: grant.ttlMs, startedAt: grantedAt };
    }
  }

  /** extend resets the TTL of the lease `token` names (undefined: the server keeps its TTL); null when the server says it holds nothing. */
  async extend(name: string, token: string, ttlMs: number | undefined): Promise<LockGrant | null> {
    const scope = this.#scope(name);
    const server = this.#tokens.get(scope, token);
    if (server === undefined) return null;
    const startedAt = performance.now();
    try {
      const r = await this.#client.json<{ fence: number; ttlMs: number }>(
        'POST',
        `${this.path(name)}/extend`,
        {
          body: JSON.stringify({ token: server, ttlMs }),
        },
      );
      this.#tokens.extend(scope, token, startedAt + r.ttlMs);
      return { fence: r.fence, ttlMs: r.ttlMs, startedAt };
    } catch (err) {
      if (!(err instanceof LockLostError)) throw err;
      this.#tokens.delete(scope, token);
      return null;
    }
  }

  /** release ends the lease `token` names; false when it held nothing any more. */
  async release(name: string, token: string): Promise<boolean> {
    const scope = this.#scope(name);
    const server = this.#tokens.get(scope, token);
    if (server === undefined) return false;
    const r = await this.#client.json<{ released: boolean }>('POST', `${this.path(name)}/release`, {
      body: JSON.stringify({ token: server }),
    });
    this.#tokens.delete(scope, token);
    return r.released === true;
  }

  /** list reads `GET <base>?prefix&limit` and returns the array under `field`. */
  async list<T>(field: string, options: ListFilter): Promise<T[]> {
    const q = new URLSearchParams();
    if (options.prefix) q.set('prefix', options.prefix);
    q.set('limit', String(Math.min(options.limit ?? 1000, 10_000)));
    const body = await this.#client.json<Record<string, T[]>>('GET', `${this.#base}?${q}`);
    return body[field] ?? [];
  }
}

/**
 * grantStart is when a grant's TTL started, on this process's performance.now() scale: the
 * request's send time `sentAt` plus the server's `waitedMs` (its wait after receiving the
 * request, so the server's TTL started no earlier), never later than now (the answer is here);
 * `sentAt` alone when the server sent no usable `waitedMs`.
 */
function grantStart(sentAt: number, waitedMs: unknown): number {
  if (typeof waitedMs !== 'number' || !Number.isFinite(waitedMs) || waitedMs <= 0) return sentAt;
  return Math.min(sentAt + waitedMs, performance.now());
}
