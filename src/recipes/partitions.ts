/**
 * Partitions: fenced ownership of a group's partitions. Each member computes the assignment
 * (`assignPartitions`) from the live member ids it follows, and holds each partition it is given
 * as a lease on the lock `_baton.partition:<group>:<p>`, kept extended. So at most one member
 * holds a partition at any time whatever the members believe, writes fenced with that lease are
 * refused once a later owner has written, and a worker in any language takes part with the plain
 * lock endpoints. A partition that moves is released by its old owner (its lease's signal fires)
 * and granted to the new owner, who waits on the lock; a crashed owner's lease expires at its TTL.
 *
 * How it fails: InvalidArgumentError for a bad count or TTL (thrown by `partitions()`). A store
 * that cannot be reached is retried (a lease then ends at its deadline, and its loss is reported);
 * the iteration ends when the membership ends or `stop()` is called.
 */
import { BackendUnavailableError } from '../errors.js';
import type { Lease } from '../locks/lease.js';
import type { Lock } from '../locks/lock.js';
import { assertCount, assertTtl } from '../validation.js';
import { acquireFresh } from './acquire.js';
import { assignPartitions, MAX_PARTITIONS } from './assign.js';
import type { Group } from './group.js';

/** groupDict is the name of the dict that holds the members of group `name`. */
export function groupDict(name: string): string {
  return `_baton.group:${name}`;
}

/** partitionLock is the name of the lock whose holder owns `partition` of group `name`. */
export function partitionLock(name: string, partition: number): string {
  return `_baton.partition:${name}:${partition}`;
}

/** PartitionsOptions tune a member's partition leases. */
export interface PartitionsOptions {
  /** ttlMs is each partition lease's TTL (default 10 000), extended every third of it. */
  readonly ttlMs?: number | undefined;
}

/** PartitionChange is one change of this member's assignment. */
export type PartitionChange =
  | { readonly type: 'acquired'; readonly partition: number; readonly lease: Lease }
  | {
      readonly type: 'released';
      readonly partition: number;
      readonly lease: Lease;
      /** moved: assigned to another member; lost: the lease ended by itself; stopped: stop() or the membership ended. */
      readonly reason: 'moved' | 'lost' | 'stopped';
    };

/** RETRY_MS bounds the pause before a partition's acquire is retried after the store failed. */
const RETRY_MS = 1_000;

/** Partitions is one member's share of a group's partitions, as an async iterable of changes. */
export class Partitions implements AsyncIterable<PartitionChange>, AsyncDisposable {
  readonly count: number;
  readonly #group: Group;
  readonly #me: string;
  readonly #ttlMs: number;
  readonly #lock: (name: string) => Lock;
  readonly #stop = new AbortController();
  readonly #held = new Map<number, Lease>();
  readonly #pending = new Map<number, AbortController>();
  #target = new Set<number>();
  /** #queue holds changes not yet read; an acquire and its release, both unread, cancel out. */
  readonly #queue: PartitionChange[] = [];
  #wake: (() => void) | undefined;
  /** #failure is what ended the following of the group, other than stop(); the iteration throws it. */
  #failure: unknown;
  readonly #running: Promise<void>;

  /** @internal Made by `membership.partitions(count)`. */
  constructor(
    group: Group,
    me: string,
    count: number,
    options: PartitionsOptions,
    lock: (name: string) => Lock,
    membership: AbortSignal,
  ) {
    this.count = assertCount(count, MAX_PARTITIONS, 'partition count');
    this.#ttlMs = assertTtl(options.ttlMs ?? 10_000);
    this.#group = group;
    this.#me = me;
    this.#lock = lock;
    if (membership.aborted) this.#stop.abort(membership.reason);
    else membership.addEventListener('abort', () => void this.stop(), { once: true });
    this.#running = this.#follow().catch((err: unknown) => {
      this.#failure = err;
      return this.stop();
    });
  }

  /** owned is the partitions this member holds now, with their leases. */
  get owned(): ReadonlyMap<number, Lease> {
    return this.#held;
  }

  /** stop releases every partition this member holds and ends the iteration. Idempotent. */
  async stop(): Promise<void> {
    if (!this.#stop.signal.aborted) this.#stop.abort();
    for (const ctl of this.#pending.values()) ctl.abort();
    const releases = [...this.#held.keys()].map((p) => this.#release(p, 'stopped'));
    this.#wakeUp();
    await Promise.all(releases);
    if (this.#failure === undefined) await this.#running;
  }

  /** Symbol.asyncDispose stops (for `await using`). */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  /** Symbol.asyncIterator yields each change in order; it ends after stop() once the last change is read. */
  async *[Symbol.asyncIterator](): AsyncIterator<PartitionChange> {
    for (;;) {
      const next = this.#queue.shift();
      if (next) {
        yield next;
        continue;
      }
      if (this.#stop.signal.aborted && this.#held.size === 0) {
        if (this.#failure !== undefined) throw this.#failure;
        return;
      }
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
  }

  /** #follow recomputes the assignment whenever the member ids change, until stopped. */
  async #follow(): Promise<void> {
    const signal = this.#stop.signal;
    while (!signal.aborted) {
      try {
        for await (const ids of this.#group.followIds(signal)) {
          const owners = assignPartitions(this.count, ids);
          this.#reconcile(new Set(owners.flatMap((m, p) => (m === this.#me ? [p] : []))));
        }
      } catch (err) {
        if (!(err instanceof BackendUnavailableError)) throw err;
        await pause(RETRY_MS, signal);
      }
    }
  }

  #reconcile(target: Set<number>): void {
    if (this.#stop.signal.aborted) return;
    this.#target = target;
    for (const [p, ctl] of this.#pending) if (!target.has(p)) ctl.abort();
    for (const p of [...this.#held.keys()]) if (!target.has(p)) void this.#release(p, 'moved');
    for (const p of target) if (!this.#held.has(p) && !this.#pending.has(p)) this.#acquire(p);
  }

  #acquire(p: number): void {
    const ctl = new AbortController();
    this.#pending.set(p, ctl);
    const signal = AbortSignal.any([ctl.signal, this.#stop.signal]);
    const lock = this.#lock(partitionLock(this.#group.name, p));
    acquireFresh(lock, { ttlMs: this.#ttlMs, waitMs: Number.POSITIVE_INFINITY, signal }).then(
      (lease) => {
        if (this.#pending.get(p) === ctl) this.#pending.delete(p);
        if (signal.aborted || !this.#target.has(p)) {
          void lease.release().catch(() => undefined);
          return;
        }
        this.#held.set(p, lease);
        this.#push({ type: 'acquired', partition: p, lease });
        lease.signal.addEventListener('abort', () => this.#onLost(p, lease), { once: true });
      },
      async () => {
        // An unreachable store (or any refusal) is retried after a pause, never in a hot loop.
        if (!signal.aborted) await pause(RETRY_MS, signal);
        if (this.#pending.get(p) === ctl) this.#pending.delete(p);
        if (!signal.aborted && this.#target.has(p) && !this.#held.has(p)) this.#acquire(p);
      },
    );
  }

  /** #onLost handles a lease that ended by itself (expired or refused): report it and try again if still ours. */
  #onLost(p: number, lease: Lease): void {
    if (this.#held.get(p) !== lease) return; // released by us
    this.#held.delete(p);
    this.#push({ type: 'released', partition: p, lease, reason: 'lost' });
    if (!this.#stop.signal.aborted && this.#target.has(p) && !this.#pending.has(p)) this.#acquire(p);
    this.#wakeUp();
  }

  async #release(p: number, reason: 'moved' | 'stopped'): Promise<void> {
    const lease = this.#held.get(p);
    if (!lease) return;
    this.#held.delete(p);
    // A lease past its deadline (this process stalled) ended by itself, whatever ends it here.
    this.#push({ type: 'released', partition: p, lease, reason: lease.lost ? 'lost' : reason });
    await lease.release().catch(() => undefined); // unreachable store: the lease ends at its TTL
  }

  #push(change: PartitionChange): void {
    if (change.type === 'released') {
      const i = this.#queue.findIndex((c) => c.type === 'acquired' && c.lease === change.lease);
      if (i >= 0) {
        this.#queue.splice(i, 1); // never read: the reader need not hear of it
        this.#wakeUp();
        return;
      }
    }
    this.#queue.push(change);
    this.#wakeUp();
  }

  #wakeUp(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}

/** pause waits `ms` or until `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
