/**
 * HttpLocks: the lock contract against a baton server. `acquire` long-polls: each request asks
 * the server to wait at most its `maxWaitMs` and is repeated until the caller's `waitMs` is spent
 * (the server waits by its backend's notification, so nothing polls). A grant's `startedAt` is
 * taken just before the request that got it was sent, so the lease's local deadline is
 * conservative however long the request waited.
 *
 * How it fails: BackendUnavailableError when the server is unreachable, slow past the deadline,
 * or shutting down; `signal.reason` when aborted — and a grant that arrives after the abort is
 * released at once so nothing stays held in the caller's name.
 */

import { LockLostError, LockTimeoutError } from '../../errors.js';
import type {
  AcquireRequest,
  LockBackend,
  LockCapabilities,
  LockGrant,
  LockInfo,
} from '../../locks/backend.js';
import type { HttpClient } from './client.js';
import type { TokenMap } from './tokens.js';

interface GrantReply {
  token: string;
  fence: number;
  ttlMs: number;
}

/** HttpLocks implements LockBackend over REST. */
export class HttpLocks implements LockBackend {
  readonly capabilities: LockCapabilities;
  readonly #client: HttpClient;
  readonly #tokens: TokenMap;
  readonly #maxWaitMs: number;

  constructor(client: HttpClient, capabilities: LockCapabilities, maxWaitMs: number, tokens: TokenMap) {
    this.#client = client;
    this.capabilities = capabilities;
    this.#maxWaitMs = maxWaitMs;
    this.#tokens = tokens;
  }

  async acquire(name: string, req: AcquireRequest): Promise<LockGrant | null> {
    const deadline = performance.now() + req.waitMs;
    for (;;) {
      const remaining = Math.max(0, Math.floor(deadline - performance.now()));
      const waitMs = Math.min(remaining, this.#maxWaitMs);
      const startedAt = performance.now();
      let grant: GrantReply;
      try {
        grant = await this.#client.json<GrantReply>('POST', `${path(name)}/acquire`, {
          body: JSON.stringify({
            ttlMs: req.ttlMs,
            waitMs,
            ...(req.owner !== undefined ? { owner: req.owner } : {}),
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
        await this.#releaseServerToken(name, grant.token);
        throw req.signal.reason;
      }
      this.#tokens.set(name, req.token, grant.token, startedAt + grant.ttlMs);
      return { fence: grant.fence, ttlMs: grant.ttlMs, startedAt };
    }
  }

  async extend(name: string, token: string, ttlMs: number): Promise<LockGrant | null> {
    const server = this.#tokens.get(name, token);
    if (server === undefined) return null;
    const startedAt = performance.now();
    try {
      const r = await this.#client.json<{ fence: number; ttlMs: number }>('POST', `${path(name)}/extend`, {
        body: JSON.stringify({ token: server, ttlMs }),
      });
      this.#tokens.extend(name, token, startedAt + r.ttlMs);
      return { fence: r.fence, ttlMs: r.ttlMs, startedAt };
    } catch (err) {
      if (!(err instanceof LockLostError)) throw err;
      this.#tokens.delete(name, token);
      return null;
    }
  }

  async release(name: string, token: string): Promise<boolean> {
    const server = this.#tokens.get(name, token);
    if (server === undefined) return false;
    const r = await this.#client.json<{ released: boolean }>('POST', `${path(name)}/release`, {
      body: JSON.stringify({ token: server }),
    });
    this.#tokens.delete(name, token);
    return r.released === true;
  }

  inspect(name: string): Promise<LockInfo> {
    return this.#client.json<LockInfo>('GET', path(name));
  }

  async list(options: { prefix?: string; limit?: number } = {}): Promise<LockInfo[]> {
    const q = new URLSearchParams();
    if (options.prefix) q.set('prefix', options.prefix);
    q.set('limit', String(Math.min(options.limit ?? 1000, 10_000)));
    return (await this.#client.json<{ locks: LockInfo[] }>('GET', `/v1/locks?${q}`)).locks;
  }

  async ping(): Promise<void> {
    await this.#client.call('GET', '/readyz');
  }

  async close(): Promise<void> {
    // The client (shared with the dicts) is closed by the opener.
  }

  async #releaseServerToken(name: string, server: string): Promise<void> {
    await this.#client
      .call('POST', `${path(name)}/release`, { body: JSON.stringify({ token: server }) })
      .catch(() => undefined);
  }
}

function path(name: string): string {
  return `/v1/locks/${encodeURIComponent(name)}`;
}
