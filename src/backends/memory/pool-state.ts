/**
 * PoolState: the state of one memory pool — a semaphore's, an rwlock's, or a lock's of one
 * permit: its fixed size, the permits in use, its holders by token and its FIFO queue.
 *
 * Most pools have one holder at a time (every lock, and a semaphore whose permits are not
 * contended), so the first holder sits in a field and a Map is made only when a second one joins.
 * A Map allocated and hashed on every lock cycle made the uncontended memory lock cycle measurably
 * slower than the plain fields locks had before they became pools of one permit. Once a pool has
 * used its Map it keeps it until the pool is forgotten.
 */
import type { LockGrant } from '../../locks/backend.js';
import type { Timer } from './scheduler.js';

/** PoolHolder is one holder of a pool's permits (of a lock: its one permit). */
export interface PoolHolder {
  readonly token: string;
  readonly count: number;
  readonly fence: number;
  readonly owner: string | undefined;
  expiresAt: number;
  /** ttlMs is the TTL of the grant or last extension, kept by an extend that gives none. */
  ttlMs: number;
  /** timer frees the permits at expiresAt; cancelled on release. */
  timer: Timer | undefined;
}

/** PoolWaiter is one pending permit request, in arrival order. */
export interface PoolWaiter {
  readonly token: string;
  readonly count: number;
  readonly ttlMs: number;
  readonly owner: string | undefined;
  /** grant hands the permits to this waiter (the pool already recorded it as holder). */
  grant(grant: LockGrant): void;
}

/** PoolState is one pool: its size, use, holders by token (in grant order) and FIFO queue. */
export class PoolState {
  readonly permits: number;
  /** used is the sum of the holders' counts. */
  used = 0;
  readonly waiters: PoolWaiter[] = [];
  /** #one is the only holder while #many is undefined. */
  #one: PoolHolder | undefined;
  #many: Map<string, PoolHolder> | undefined;

  constructor(permits: number) {
    this.permits = permits;
  }

  /** holderCount is the number of holders. */
  get holderCount(): number {
    return this.#many ? this.#many.size : this.#one ? 1 : 0;
  }

  /** holder returns the holder with `token`, if it holds. */
  holder(token: string): PoolHolder | undefined {
    if (this.#many) return this.#many.get(token);
    return this.#one?.token === token ? this.#one : undefined;
  }

  /** holders lists the holders in grant order. */
  holders(): Iterable<PoolHolder> {
    if (this.#many) return this.#many.values();
    return this.#one ? [this.#one] : [];
  }

  /** add records a holder whose token holds nothing yet and counts its permits as used. */
  add(holder: PoolHolder): void {
    this.used += holder.count;
    if (this.#many) this.#many.set(holder.token, holder);
    else if (!this.#one) this.#one = holder;
    else {
      this.#many = new Map([
        [this.#one.token, this.#one],
        [holder.token, holder],
      ]);
      this.#one = undefined;
    }
  }

  /** remove forgets a holder and returns its permits. */
  remove(holder: PoolHolder): void {
    this.used -= holder.count;
    if (this.#many) this.#many.delete(holder.token);
    else if (this.#one === holder) this.#one = undefined;
  }
}
