/**
 * HttpLocks: the lock contract against a baton server, over `/v1/locks`. Acquire long-polls,
 * extend and release send the server's token (see leases.ts, shared with semaphores).
 *
 * How it fails: BackendUnavailableError when the server is unreachable, slow past the deadline,
 * or shutting down; `signal.reason` when aborted — and a grant that arrives after the abort is
 * released at once so nothing stays held in the caller's name.
 */

import type { ListFilter } from '../../list-filter.js';
import type * as C from '../../locks/backend.js';
import type { HttpClient } from './client.js';
import { HttpLeases } from './leases.js';
import type { TokenMap } from './tokens.js';

/** HttpLocks implements LockBackend over REST. */
export class HttpLocks implements C.LockBackend {
  readonly capabilities: C.LockCapabilities;
  readonly #client: HttpClient;
  readonly #leases: HttpLeases;

  constructor(client: HttpClient, capabilities: C.LockCapabilities, maxWaitMs: number, tokens: TokenMap) {
    this.#client = client;
    this.capabilities = capabilities;
    this.#leases = new HttpLeases(client, tokens, maxWaitMs, '/v1/locks', (name) => name);
  }

  acquire(name: string, req: C.AcquireRequest): Promise<C.LockGrant | null> {
    return this.#leases.acquire(name, req);
  }

  extend(name: string, token: string, ttlMs: number | undefined): Promise<C.LockGrant | null> {
    return this.#leases.extend(name, token, ttlMs);
  }

  release(name: string, token: string): Promise<boolean> {
    return this.#leases.release(name, token);
  }

  inspect(name: string): Promise<C.LockInfo> {
    return this.#client.json<C.LockInfo>('GET', this.#leases.path(name));
  }

  list(options: ListFilter = {}): Promise<C.LockInfo[]> {
    return this.#leases.list<C.LockInfo>('locks', options);
  }

  async ping(): Promise<void> {
    await this.#client.call('GET', '/readyz');
  }

  async close(): Promise<void> {
    // The client (shared with the dicts) is closed by the opener.
  }
}
