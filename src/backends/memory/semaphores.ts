/**
 * MemorySemaphores: the semaphore contract over a MemoryStore, for one namespace (semaphores or
 * rwlocks), on MemoryPools (the queue, hand-off and expiry code locks use too). Waiters queue
 * FIFO per pool and are granted directly, in order, on release or expiry while the head's count
 * fits; nobody can barge past a waiting head. Fences come from the store's fence counters under
 * `<namespace>/<name>`, a key no lock name can take.
 *
 * How it fails: InvalidArgumentError when `permits` differs from the fixed count of a pool in
 * use, or `count` exceeds it; BackendUnavailableError once this client is closed (its waits are
 * cancelled with it).
 */
import type { LockGrant } from '../../locks/backend.js';
import type { PermitRequest, SemaphoreBackend, SemaphoreInfo } from '../../locks/semaphore-backend.js';
import type { PoolState } from './pool-state.js';
import { MemoryPools } from './pools.js';
import type { MemoryStore } from './store.js';

/** MemorySemaphores is one client's view of one namespace of pools in a MemoryStore. */
export class MemorySemaphores extends MemoryPools<PermitRequest, SemaphoreInfo> implements SemaphoreBackend {
  constructor(store: MemoryStore, namespace: 'semaphore' | 'rwlock') {
    super(store, store.pools, `${namespace}/`);
  }

  async acquire(name: string, req: PermitRequest): Promise<LockGrant | null> {
    return this.take(name, req.permits, req.count, req);
  }

  /** view shows the pool's size, use, holders in grant order (never tokens) and queue length. */
  protected view(name: string, state: PoolState | undefined, fence: number): SemaphoreInfo {
    if (!state) return { name, permits: 0, used: 0, fence, holders: [], waiting: 0 };
    const holders = [...state.holders()]
      .sort((a, b) => a.fence - b.fence)
      .map((h) => ({
        count: h.count,
        fence: h.fence,
        expiresAt: Math.floor(h.expiresAt),
        ...(h.owner !== undefined ? { owner: h.owner } : {}),
      }));
    return { name, permits: state.permits, used: state.used, fence, holders, waiting: state.waiters.length };
  }
}
