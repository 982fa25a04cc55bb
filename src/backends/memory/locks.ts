/**
 * MemoryLocks: the lock contract over a MemoryStore, as the one-permit case of MemoryPools (one
 * queue, hand-off and expiry code for locks and semaphores). Waiters queue FIFO per lock and are
 * handed the lock directly on release or expiry, so nobody can barge in between. Fences come from
 * a per-lock counter under the lock's name that is never reset.
 *
 * How it fails: BackendUnavailableError once this client is closed (its waits are cancelled with
 * it); a wait rejects with `signal.reason` when its signal aborts.
 */
import type { AcquireRequest, LockBackend, LockGrant, LockInfo } from '../../locks/backend.js';
import type { PoolState } from './pool-state.js';
import { MemoryPools } from './pools.js';
import type { MemoryStore } from './store.js';

/** MemoryLocks is one client's view of the locks of a MemoryStore: pools of one permit, keyed by lock name. */
export class MemoryLocks extends MemoryPools<AcquireRequest, LockInfo> implements LockBackend {
  constructor(store: MemoryStore) {
    super(store, store.locks, '');
  }

  async acquire(name: string, req: AcquireRequest): Promise<LockGrant | null> {
    return this.take(name, 1, 1, req);
  }

  async ping(): Promise<void> {
    this.open();
  }

  /** view shows the lock's one holder, if any: held, until when, and its owner label. */
  protected view(name: string, state: PoolState | undefined, fence: number): LockInfo {
    const [holder] = state?.holders() ?? [];
    if (!holder) return { name, held: false, fence };
    return { name, held: true, fence, expiresAt: Math.floor(holder.expiresAt), owner: holder.owner };
  }
}
