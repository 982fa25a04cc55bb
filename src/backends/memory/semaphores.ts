/**
 * MemorySemaphores: the semaphore contract over a MemoryStore, for one namespace (semaphores or
 * rwlocks). Waiters queue FIFO per pool and are granted directly, in order, on release or expiry
 * while the head's count fits; nobody can barge past a waiting head. Fences come from the store's
 * fence counters under `<namespace>/<name>`, a key no lock name can take.
 *
 * How it fails: InvalidArgumentError when `permits` differs from the fixed count of a pool in
 * use, or `count` exceeds it; BackendUnavailableError once this client is closed (its waits are
 * cancelled with it).
 */
import { BackendUnavailableError, InvalidArgumentError } from '../../errors.js';
import { encodeFenceScope } from '../../fence-scope.js';
import type { LockGrant } from '../../locks/backend.js';
import type {
  PermitRequest,
  SemaphoreBackend,
  SemaphoreCapabilities,
  SemaphoreInfo,
} from '../../locks/semaphore-backend.js';
import { now } from './scheduler.js';
import type { MemoryStore, PoolState, PoolWaiter } from './store.js';

const CAPABILITIES: SemaphoreCapabilities = Object.freeze({
  fairOrdering: true,
  notifiedWaiting: true,
  minTtlMs: 1,
  listing: true,
});

/** MemorySemaphores is one client's view of one namespace of pools in a MemoryStore. */
export class MemorySemaphores implements SemaphoreBackend {
  readonly capabilities = CAPABILITIES;
  readonly #store: MemoryStore;
  readonly #namespace: 'semaphore' | 'rwlock';
  readonly #cancels = new Set<(err: Error) => void>();
  #closed = false;

  constructor(store: MemoryStore, namespace: 'semaphore' | 'rwlock') {
    this.#store = store;
    this.#namespace = namespace;
  }

  async acquire(name: string, req: PermitRequest): Promise<LockGrant | null> {
    this.#open();
    const store = this.#store;
    store.scheduler.runDue();
    const key = this.#key(name);
    const state = this.#poolFor(key, req.permits, req.count);
    if (
      !state.holders.has(req.token) &&
      state.waiters.length === 0 &&
      state.used + req.count <= state.permits
    ) {
      return this.#grant(key, state, req.token, req.count, req.ttlMs, req.owner);
    }
    if (req.waitMs <= 0 || req.signal?.aborted) {
      this.#dropIfUnused(key, state);
      req.signal?.throwIfAborted();
      return null;
    }

    return new Promise<LockGrant | null>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const finish = () => {
        if (timer) clearTimeout(timer);
        req.signal?.removeEventListener('abort', onAbort);
        this.#cancels.delete(cancel);
        store.addWaiting(-1);
      };
      const leave = () => {
        const i = state.waiters.indexOf(waiter);
        if (i >= 0) state.waiters.splice(i, 1);
        finish();
        this.#drain(key, state); // the head leaving may let the next ones in
      };
      const waiter: PoolWaiter = {
        token: req.token,
        count: req.count,
        ttlMs: req.ttlMs,
        owner: req.owner,
        grant: (grant) => {
          finish();
          resolve(grant);
        },
      };
      const onAbort = () => {
        leave();
        reject(req.signal?.reason);
      };
      const cancel = (err: Error) => {
        leave();
        reject(err);
      };
      state.waiters.push(waiter);
      store.addWaiting(1);
      this.#cancels.add(cancel);
      req.signal?.addEventListener('abort', onAbort, { once: true });
      if (Number.isFinite(req.waitMs)) {
        timer = setTimeout(() => {
          leave();
          resolve(null);
        }, req.waitMs);
      }
    });
  }

  async extend(name: string, token: string, given: number | undefined): Promise<LockGrant | null> {
    this.#open();
    this.#store.scheduler.runDue();
    const key = this.#key(name);
    const holder = this.#store.pools.get(key)?.holders.get(token);
    if (!holder) return null;
    const startedAt = performance.now();
    const ttlMs = given ?? holder.ttlMs;
    holder.ttlMs = ttlMs;
    holder.expiresAt = now() + ttlMs;
    this.#scheduleExpiry(key, token);
    return { fence: holder.fence, ttlMs, startedAt };
  }

  async release(name: string, token: string): Promise<boolean> {
    this.#open();
    this.#store.scheduler.runDue();
    const key = this.#key(name);
    const state = this.#store.pools.get(key);
    if (!state?.holders.has(token)) return false;
    this.#free(key, state, token);
    return true;
  }

  async inspect(name: string): Promise<SemaphoreInfo> {
    this.#open();
    this.#store.scheduler.runDue();
    return this.#info(name, this.#store.pools.get(this.#key(name)));
  }

  async list(options: { prefix?: string; limit?: number } = {}): Promise<SemaphoreInfo[]> {
    this.#open();
    this.#store.scheduler.runDue();
    const start = `${this.#namespace}/${options.prefix ?? ''}`;
    const out: SemaphoreInfo[] = [];
    for (const [key, state] of this.#store.pools) {
      if (state.holders.size > 0 && key.startsWith(start)) {
        out.push(this.#info(key.slice(this.#namespace.length + 1), state));
      }
    }
    out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return out.slice(0, options.limit ?? 1000);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const cancel of [...this.#cancels])
      cancel(new BackendUnavailableError('baton client closed while waiting'));
  }

  #key(name: string): string {
    return encodeFenceScope({ kind: this.#namespace, name });
  }

  /** #poolFor returns the pool, fixing its size on first use; InvalidArgumentError on a mismatch. */
  #poolFor(key: string, permits: number, count: number): PoolState {
    let state = this.#store.pools.get(key);
    if (!state) {
      state = { permits, used: 0, holders: new Map(), waiters: [] };
      this.#store.pools.set(key, state);
    } else if (state.permits !== permits) {
      throw new InvalidArgumentError(
        `${key} has ${state.permits} permits while in use; this handle asked for ${permits}`,
      );
    }
    if (count > state.permits) {
      throw new InvalidArgumentError(`count ${count} exceeds the ${state.permits} permits of ${key}`);
    }
    return state;
  }

  #info(name: string, state: PoolState | undefined): SemaphoreInfo {
    const fence = this.#store.fences.get(this.#key(name)) ?? 0;
    if (!state) return { name, permits: 0, used: 0, fence, holders: [], waiting: 0 };
    const holders = [...state.holders.values()]
      .sort((a, b) => a.fence - b.fence)
      .map((h) => ({
        count: h.count,
        fence: h.fence,
        expiresAt: Math.floor(h.expiresAt),
        ...(h.owner !== undefined ? { owner: h.owner } : {}),
      }));
    return { name, permits: state.permits, used: state.used, fence, holders, waiting: state.waiters.length };
  }

  #grant(
    key: string,
    state: PoolState,
    token: string,
    count: number,
    ttlMs: number,
    owner: string | undefined,
  ): LockGrant {
    const startedAt = performance.now();
    const fence = this.#store.nextFence(key);
    state.holders.set(token, { count, fence, owner, expiresAt: now() + ttlMs, ttlMs, timer: undefined });
    state.used += count;
    this.#scheduleExpiry(key, token);
    return { fence, ttlMs, startedAt };
  }

  #scheduleExpiry(key: string, token: string): void {
    const state = this.#store.pools.get(key);
    const holder = state?.holders.get(token);
    if (!state || !holder) return;
    const at = holder.expiresAt;
    this.#store.scheduler.cancel(holder.timer);
    holder.timer = this.#store.scheduler.at(at, () => {
      if (state.holders.get(token) === holder && holder.expiresAt === at) this.#free(key, state, token);
    });
  }

  /** #free returns a holder's permits and grants waiters from the head while they fit. */
  #free(key: string, state: PoolState, token: string): void {
    const holder = state.holders.get(token);
    if (!holder) return;
    this.#store.scheduler.cancel(holder.timer);
    state.holders.delete(token);
    state.used -= holder.count;
    this.#drain(key, state);
  }

  #drain(key: string, state: PoolState): void {
    for (
      let head = state.waiters[0];
      head && state.used + head.count <= state.permits;
      head = state.waiters[0]
    ) {
      state.waiters.shift();
      head.grant(this.#grant(key, state, head.token, head.count, head.ttlMs, head.owner));
    }
    this.#dropIfUnused(key, state);
  }

  /** #dropIfUnused forgets an unused pool (its size may then be set anew; its fence counter stays). */
  #dropIfUnused(key: string, state: PoolState): void {
    if (state.holders.size === 0 && state.waiters.length === 0 && this.#store.pools.get(key) === state) {
      this.#store.pools.delete(key);
    }
  }

  #open(): void {
    if (this.#closed) throw new BackendUnavailableError('baton client is closed');
  }
}
