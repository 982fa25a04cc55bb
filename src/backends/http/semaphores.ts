/**
 * HttpSemaphores: the semaphore contract against a baton server, for one namespace:
 * `/v1/semaphores` (a request's `permits` and `count` go as they are) or `/v1/rwlocks` (a count
 * of 1 is a read, all RWLOCK_PERMITS a write; the server's read-write lock view is turned back
 * into the pool view the contract returns). Acquire long-polls up to the server's wait cap, and
 * tokens are paired under the fence scope `semaphore/<name>` or `rwlock/<name>` (leases.ts).
 *
 * How it fails: as HttpLocks; InvalidArgumentError from the server for a `permits` that differs
 * from the size in use or a `count` beyond it, and here for an rwlock count that is neither a
 * read nor a write; UnsupportedError when the server's backend has none.
 */

import { InvalidArgumentError } from '../../errors.js';
import { encodeFenceScope } from '../../fence-scope.js';
import type { ListFilter } from '../../list-filter.js';
import type { LockGrant } from '../../locks/backend.js';
import type { RwLockInfo } from '../../locks/semaphore.js';
import {
  type PermitRequest,
  RWLOCK_PERMITS,
  type SemaphoreBackend,
  type SemaphoreCapabilities,
  type SemaphoreInfo,
} from '../../locks/semaphore-backend.js';
import type { HttpClient } from './client.js';
import { HttpLeases } from './leases.js';
import type { TokenMap } from './tokens.js';

/** HttpSemaphores implements SemaphoreBackend over REST for semaphores or read-write locks. */
export class HttpSemaphores implements SemaphoreBackend {
  readonly capabilities: SemaphoreCapabilities;
  readonly #client: HttpClient;
  readonly #leases: HttpLeases;
  readonly #kind: 'semaphore' | 'rwlock';

  constructor(
    client: HttpClient,
    capabilities: SemaphoreCapabilities,
    maxWaitMs: number,
    tokens: TokenMap,
    kind: 'semaphore' | 'rwlock',
  ) {
    this.#client = client;
    this.capabilities = capabilities;
    this.#kind = kind;
    this.#leases = new HttpLeases(client, tokens, maxWaitMs, `/v1/${kind}s`, (name) =>
      encodeFenceScope({ kind, name }),
    );
  }

  async acquire(name: string, req: PermitRequest): Promise<LockGrant | null> {
    return this.#leases.acquire(name, req, this.#kind === 'semaphore' ? semaphoreBody(req) : rwlockBody(req));
  }

  extend(name: string, token: string, ttlMs: number | undefined): Promise<LockGrant | null> {
    return this.#leases.extend(name, token, ttlMs);
  }

  release(name: string, token: string): Promise<boolean> {
    return this.#leases.release(name, token);
  }

  async inspect(name: string): Promise<SemaphoreInfo> {
    const path = this.#leases.path(name);
    if (this.#kind === 'semaphore') return this.#client.json<SemaphoreInfo>('GET', path);
    return poolOf(await this.#client.json<RwLockInfo>('GET', path));
  }

  async list(options: ListFilter = {}): Promise<SemaphoreInfo[]> {
    if (this.#kind === 'semaphore') return this.#leases.list<SemaphoreInfo>('semaphores', options);
    return (await this.#leases.list<RwLockInfo>('rwlocks', options)).map(poolOf);
  }

  async close(): Promise<void> {
    // The client (shared with locks and dicts) is closed by the opener.
  }
}

function semaphoreBody(req: PermitRequest): Record<string, unknown> {
  return { permits: req.permits, count: req.count };
}

function rwlockBody(req: PermitRequest): Record<string, unknown> {
  if (req.permits !== RWLOCK_PERMITS || (req.count !== 1 && req.count !== RWLOCK_PERMITS)) {
    throw new InvalidArgumentError(
      `a read-write lock takes 1 permit (read) or all ${RWLOCK_PERMITS} (write) of ${RWLOCK_PERMITS} (got ${req.count} of ${req.permits})`,
    );
  }
  return { mode: req.count === 1 ? 'read' : 'write' };
}

/** poolOf turns the server's read-write lock view back into the pool view (its inverse is rwLockInfo). */
function poolOf(info: RwLockInfo): SemaphoreInfo {
  const holders = info.holders.map((h) => ({
    count: h.mode === 'write' ? RWLOCK_PERMITS : 1,
    fence: h.fence,
    expiresAt: h.expiresAt,
    ...(h.owner !== undefined ? { owner: h.owner } : {}),
  }));
  const used = holders.reduce((sum, h) => sum + h.count, 0);
  const inUse = holders.length > 0 || (info.waiting ?? 0) > 0;
  return {
    name: info.name,
    permits: inUse ? RWLOCK_PERMITS : 0,
    used,
    fence: info.fence,
    holders,
    ...(info.waiting !== undefined ? { waiting: info.waiting } : {}),
  };
}
