/**
 * MemoryLocks: the lock contract over a MemoryStore. Waiters queue FIFO per lock and are handed
 * the lock directly on release or expiry, so nobody can barge in between. Fences come from a
 * per-lock counter that is never reset.
 */
import { BackendUnavailableError } from '../../errors.js';
import type {
  AcquireRequest,
  LockBackend,
  LockCapabilities,
  LockGrant,
  LockInfo,
} from '../../locks/backend.js';
import { now } from './scheduler.js';
import type { LockState, MemoryStore, Waiter } from './store.js';

const CAPABILITIES: LockCapabilities = Object.freeze({
  fairOrdering: true,
  notifiedWaiting: true,
  minTtlMs: 1,
  listing: true,
});

/** MemoryLocks is one client's view of the locks of a MemoryStore. */
export class MemoryLocks implements LockBackend {
  readonly capabilities = CAPABILITIES;
  readonly #store: MemoryStore;
  readonly #cancels = new Set<(err: Error) => void>();
  #closed = false;

  constructor(store: MemoryStore) {
    this.#store = store;
  }

  async acquire(name: string, req: AcquireRequest): Promise<LockGrant | null> {
    this.#open();
    const store = this.#store;
    store.scheduler.runDue();
    const state = store.lockState(name);
    if (state.token === undefined) return this.#grant(name, state, req.token, req.ttlMs, req.owner);
    if (req.waitMs <= 0) return null;
    req.signal?.throwIfAborted();

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
      };
      const waiter: Waiter = {
        token: req.token,
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
    const state = this.#store.locks.get(name);
    if (!state || state.token !== token) return null;
    const startedAt = performance.now();
    const ttlMs = given ?? state.ttlMs;
    state.ttlMs = ttlMs;
    state.expiresAt = now() + ttlMs;
    this.#scheduleExpiry(name, state);
    return { fence: this.#store.fences.get(name) ?? 0, ttlMs, startedAt };
  }

  async release(name: string, token: string): Promise<boolean> {
    this.#open();
    this.#store.scheduler.runDue();
    const state = this.#store.locks.get(name);
    if (!state || state.token !== token) return false;
    this.#free(name, state);
    return true;
  }

  async inspect(name: string): Promise<LockInfo> {
    this.#open();
    this.#store.scheduler.runDue();
    return this.#info(name, this.#store.locks.get(name));
  }

  async list(options: { prefix?: string; limit?: number } = {}): Promise<LockInfo[]> {
    this.#open();
    this.#store.scheduler.runDue();
    const out: LockInfo[] = [];
    for (const [name, state] of this.#store.locks) {
      if (state.token !== undefined && (!options.prefix || name.startsWith(options.prefix))) {
        out.push(this.#info(name, state));
      }
    }
    out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return out.slice(0, options.limit ?? 1000);
  }

  async ping(): Promise<void> {
    this.#open();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const cancel of [...this.#cancels])
      cancel(new BackendUnavailableError('baton client closed while waiting'));
  }

  #info(name: string, state: LockState | undefined): LockInfo {
    const fence = this.#store.fences.get(name) ?? 0;
    if (!state || state.token === undefined) return { name, held: false, fence };
    return { name, held: true, fence, expiresAt: Math.floor(state.expiresAt), owner: state.owner };
  }

  #grant(name: string, state: LockState, token: string, ttlMs: number, owner: string | undefined): LockGrant {
    const startedAt = performance.now();
    state.token = token;
    state.owner = owner;
    state.ttlMs = ttlMs;
    state.expiresAt = now() + ttlMs;
    this.#scheduleExpiry(name, state);
    return { fence: this.#store.nextFence(name), ttlMs, startedAt };
  }

  #scheduleExpiry(name: string, state: LockState): void {
    const token = state.token;
    const at = state.expiresAt;
    this.#store.scheduler.cancel(state.timer);
    state.timer = this.#store.scheduler.at(at, () => {
      if (state.token === token && state.expiresAt === at) this.#free(name, state);
    });
  }

  /** #free clears the holder and hands the lock to the first waiter, if any. */
  #free(name: string, state: LockState): void {
    state.token = undefined;
    state.owner = undefined;
    state.expiresAt = 0;
    this.#store.scheduler.cancel(state.timer);
    state.timer = undefined;
    const next = state.waiters.shift();
    if (next) {
      next.grant(this.#grant(name, state, next.token, next.ttlMs, next.owner));
    } else if (state.waiters.length === 0) {
      this.#store.locks.delete(name); // the fence counter lives on in store.fences
    }
  }

  #open(): void {
    if (this.#closed) throw new BackendUnavailableError('baton client is closed');
  }
}
