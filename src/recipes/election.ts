/**
 * Election: one leader among many candidates, with a fence, like etcd's `concurrency.Election`
 * but on every backend with dicts. Leadership is a lease on the lock `_baton.election:<name>`
 * (so it carries a fence that strictly increases from leader to leader), and the leader's value
 * is the entry `<name>` of the reserved dict `_baton.elections`, `{ value, fence }`, written with
 * that fence (a deposed leader's writes are refused once its successor has written) and with the
 * lease's TTL, renewed while the leader holds the lock, so a crashed leader's entry expires with
 * its lease. `observe()` follows that entry by the dict's watch.
 *
 * How it fails: `campaign` rejects with LockTimeoutError after `waitMs`, the signal's reason when
 * aborted, InvalidArgumentError for a bad option or a value that is not JSON (nothing is held
 * afterwards); `proclaim` rejects with LockLostError once leadership is lost;
 * BackendUnavailableError from the store; UnsupportedError where the backend has no dicts.
 */
import { BackendUnavailableError, LockLostError, StaleFenceError } from '../errors.js';
import type { Lease } from '../locks/lease.js';
import type { Lock } from '../locks/lock.js';
import type { JsonValue } from '../shared-state/codec.js';
import type { SharedDict } from '../shared-state/dict.js';
import { assertTtl, assertWait } from '../validation.js';
import { acquireFresh } from './acquire.js';
import { follow } from './follow.js';

/** ELECTIONS_DICT is the dict that holds every election's leader (key: the election's name). */
export const ELECTIONS_DICT = '_baton.elections';

/** electionLock is the name of the lock whose holder leads the election `name`. */
export function electionLock(name: string): string {
  return `_baton.election:${name}`;
}

/** Leader is an election's current leader as every observer sees it: its value and fence. */
export interface Leader<V = JsonValue> {
  readonly value: V;
  /** fence is the leadership lease's fence: it strictly increases from one leader to the next. */
  readonly fence: number;
}

/** CampaignOptions are the options of one `campaign`. */
export interface CampaignOptions<V = JsonValue> {
  /** value is what the leader proclaims (JSON); observers see it. */
  readonly value: V;
  /** ttlMs is the leadership lease's TTL (default 10 000); it is renewed every third of it. */
  readonly ttlMs?: number | undefined;
  /** waitMs bounds the wait to be elected (default: for ever); then LockTimeoutError. */
  readonly waitMs?: number | undefined;
  /** signal cancels the campaign while it waits. */
  readonly signal?: AbortSignal | undefined;
}

/** DEFAULT_ELECTION_TTL_MS is the leadership lease's TTL when none is given. */
const DEFAULT_ELECTION_TTL_MS = 10_000;

/** Election is a handle on one named election; it holds nothing by itself. */
export class Election<V = JsonValue> {
  readonly name: string;
  readonly #lock: Lock;
  readonly #dict: SharedDict<Leader<V>>;

  /** @internal Made by `baton.election(name)`. */
  constructor(name: string, lock: Lock, dict: SharedDict<Leader<V>>) {
    this.name = name;
    this.#lock = lock;
    this.#dict = dict;
  }

  /**
   * campaign waits to be elected and resolves to the leadership once its value is proclaimed.
   * The leadership is renewed until `resign()` or until it is lost (its `signal` then aborts).
   */
  async campaign(options: CampaignOptions<V>): Promise<Leadership<V>> {
    const ttlMs = assertTtl(options.ttlMs ?? DEFAULT_ELECTION_TTL_MS);
    const waitMs = assertWait(options.waitMs ?? Number.POSITIVE_INFINITY);
    const lease = await acquireFresh(this.#lock, { ttlMs, waitMs, signal: options.signal });
    const leadership = new Leadership<V>(this.name, lease, this.#dict, options.value);
    try {
      await leadership.proclaim(options.value);
    } catch (err) {
      await lease.release().catch(() => undefined);
      throw err;
    }
    leadership.renew();
    return leadership;
  }

  /** leader reads the current leader, or undefined when there is none. */
  async leader(): Promise<Leader<V> | undefined> {
    return this.#dict.get(this.name);
  }

  /**
   * observe yields the current leader (or undefined) and then every change of leader or of its
   * value, in order, until `signal` aborts. Fences never go backwards: a leader older than one
   * already seen is not yielded. A slow reader may miss intermediate states but never the latest.
   */
  async *observe(options: { signal?: AbortSignal } = {}): AsyncGenerator<Leader<V> | undefined> {
    let last: string | undefined;
    let fence = 0;
    for await (const state of follow(this.#dict, { prefix: this.name, signal: options.signal })) {
      const leader = state.get(this.name);
      if (leader && leader.fence < fence) continue;
      const seen = leader === undefined ? 'none' : JSON.stringify([leader.fence, leader.value]);
      if (seen === last) continue;
      last = seen;
      if (leader) fence = leader.fence;
      yield leader;
    }
  }
}

/** Leadership is a won election: the lease that makes this process the leader. */
export class Leadership<V = JsonValue> implements AsyncDisposable {
  /** name is the election's name. */
  readonly name: string;
  /** lease is the leadership lease on `_baton.election:<name>`; pass it as a fence with writes. */
  readonly lease: Lease;
  readonly #dict: SharedDict<Leader<V>>;
  #value: V;
  /** #writing settles when the last proclaim asked for has settled; proclaims are sent one after another. */
  #writing: Promise<unknown> = Promise.resolve();
  #renewal: NodeJS.Timeout | undefined;

  /** @internal Made by `Election.campaign`. */
  constructor(name: string, lease: Lease, dict: SharedDict<Leader<V>>, value: V) {
    this.name = name;
    this.lease = lease;
    this.#dict = dict;
    this.#value = value;
    lease.signal.addEventListener('abort', () => this.#stopRenewal(), { once: true });
  }

  /** fence is the leadership's fence (the lease's). */
  get fence(): number {
    return this.lease.fence;
  }

  /** signal aborts when leadership is lost (the lease expired or was refused) or resigned. */
  get signal(): AbortSignal {
    return this.lease.signal;
  }

  /** value is the value last proclaimed. */
  get value(): V {
    return this.#value;
  }

  /**
   * proclaim changes the leader's value without an election. LockLostError once leadership is
   * lost (a refused write means a newer leader has written: the lease is then released).
   */
  proclaim(value: V): Promise<void> {
    const run = this.#writing.then(() => this.#proclaimNow(value));
    this.#writing = run.catch(() => undefined);
    return run;
  }

  async #proclaimNow(value: V): Promise<void> {
    if (this.lease.lost) throw this.lease.signal.reason as LockLostError;
    try {
      await this.#dict.set(
        this.name,
        { value, fence: this.lease.fence },
        { ttlMs: this.lease.ttlMs, fence: this.lease },
      );
    } catch (err) {
      if (!(err instanceof StaleFenceError)) throw err;
      await this.lease.release().catch(() => undefined);
      throw new LockLostError(this.lease.name, 'lost', { cause: err });
    }
    this.#value = value;
  }

  /**
   * resign steps down: the leader's entry is deleted (observers see no leader) and the lease is
   * released, so the next candidate is elected at once. Idempotent.
   */
  async resign(): Promise<void> {
    this.#stopRenewal();
    if (!this.lease.lost) {
      await this.#dict.delete(this.name, { fence: this.lease }).catch((err: unknown) => {
        if (!(err instanceof StaleFenceError)) throw err;
      });
    }
    await this.lease.release();
  }

  /** Symbol.asyncDispose resigns (for `await using`). */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.resign();
  }

  /** @internal renew re-proclaims the value every third of the TTL, so the entry lives as long as the lease. */
  renew(): void {
    const tick = () => {
      this.#renewal = undefined;
      if (this.lease.lost) return;
      // Queued behind any proclaim in flight, and reading the value when it runs, so it never undoes one.
      const run = this.#writing.then(() => this.#proclaimNow(this.#value));
      this.#writing = run.catch(() => undefined);
      run.then(
        () => schedule(this.lease.ttlMs / 3),
        (err: unknown) => {
          if (err instanceof BackendUnavailableError) schedule(this.lease.ttlMs / 10);
        },
      );
    };
    const schedule = (ms: number) => {
      if (this.lease.lost) return;
      this.#renewal = setTimeout(tick, ms);
      this.#renewal.unref();
    };
    schedule(this.lease.ttlMs / 3);
  }

  #stopRenewal(): void {
    if (this.#renewal) clearTimeout(this.#renewal);
    this.#renewal = undefined;
  }
}
