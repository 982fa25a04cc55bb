/**
 * Group: membership of a fleet, like a ZooKeeper group of ephemeral nodes, on every backend with
 * dicts. Each member is an entry of the reserved dict `_baton.group:<name>` (key: the member id,
 * value `{ id, meta }`) written with a TTL and rewritten every third of it, compare-and-set on its
 * own version, so a crashed member leaves within its TTL and a member that missed its renewals
 * finds out (its `signal` aborts) instead of silently coming back. `watch()` follows the dict.
 *
 * Partition ownership (`membership.partitions(count)`) is in ./partitions.ts.
 *
 * How it fails: `join` rejects with VersionConflictError when a live member already has that id,
 * InvalidArgumentError for a bad id, meta or TTL (nothing is written); BackendUnavailableError
 * from the store; UnsupportedError where the backend has no dicts.
 */
import {
  BackendUnavailableError,
  InvalidArgumentError,
  LockLostError,
  VersionConflictError,
} from '../errors.js';
import { type LeaseSettings, localDeadline } from '../locks/lease.js';
import type { Lock } from '../locks/lock.js';
import { randomHex } from '../random.js';
import type { JsonValue } from '../shared-state/codec.js';
import type { SharedDict } from '../shared-state/dict.js';
import { assertTtl, assertVersion } from '../validation.js';
import { assertMemberId, assignPartitions } from './assign.js';
import { follow } from './follow.js';
import { groupDict, Partitions, type PartitionsOptions, partitionLock } from './partitions.js';

/** MAX_GROUP_NAME_LENGTH bounds group names, so that every partition lock name fits in 200 characters. */
export const MAX_GROUP_NAME_LENGTH = 170;

/** Member is one member of a group as everyone sees it. */
export interface Member {
  readonly id: string;
  readonly meta?: JsonValue | undefined;
}

/** GroupChange is one change seen by `group.watch()`. */
export interface GroupChange {
  /** join: the member is in the group (announced again after a resume: treat it as idempotent). */
  readonly type: 'join' | 'leave';
  readonly id: string;
  readonly meta?: JsonValue | undefined;
  /** reason of a leave: 'left' (it called leave) or 'expired' (it stopped renewing: crashed or stalled). */
  readonly reason?: 'left' | 'expired' | undefined;
  /** version and history resume a watch (`watch({ fromVersion, history })`). */
  readonly version: number;
  readonly history?: string | undefined;
}

/** JoinOptions are the options of `group.join`. */
export interface JoinOptions {
  /** id names the member: 1-64 of A-Z a-z 0-9 . _ : - (default: 16 random hex digits). */
  readonly id?: string | undefined;
  /** meta is any JSON the member wants others to see (a host name, a weight…). */
  readonly meta?: JsonValue | undefined;
  /** ttlMs is how long the member stays without renewing (default 10 000); renewed every third of it. */
  readonly ttlMs?: number | undefined;
}

/** DEFAULT_MEMBER_TTL_MS is a membership's TTL when none is given. */
const DEFAULT_MEMBER_TTL_MS = 10_000;

/** Group is a handle on one named group; it holds nothing by itself. */
export class Group {
  readonly name: string;
  readonly #dict: SharedDict<Member>;
  readonly #lock: (name: string) => Lock;
  readonly #settings: LeaseSettings;

  /** @internal Made by `baton.group(name)`. */
  constructor(name: string, dict: SharedDict<Member>, lock: (name: string) => Lock, settings: LeaseSettings) {
    if (name.length > MAX_GROUP_NAME_LENGTH) {
      throw new InvalidArgumentError(
        `group name must be at most ${MAX_GROUP_NAME_LENGTH} characters (got ${name.length})`,
      );
    }
    this.name = name;
    this.#dict = dict;
    this.#lock = lock;
    this.#settings = settings;
  }

  /** join adds this process to the group and keeps it there until `leave()` or loss. */
  async join(options: JoinOptions = {}): Promise<Membership> {
    const id = assertMemberId(options.id ?? randomHex(8));
    const ttlMs = assertTtl(options.ttlMs ?? DEFAULT_MEMBER_TTL_MS);
    const record: Member = options.meta === undefined ? { id } : { id, meta: options.meta };
    const startedAt = performance.now();
    const version = await this.#dict.set(id, record, { ttlMs, ifVersion: 0 });
    return new Membership(
      this,
      record,
      { version, startedAt, ttlMs },
      this.#dict,
      this.#lock,
      this.#settings,
    );
  }

  /** members reads the live members, ordered by id. */
  async members(): Promise<Member[]> {
    const out: Member[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.#dict.entries({ limit: 1000, cursor });
      for (const e of page.entries) out.push(e.value);
      cursor = page.cursor;
    } while (cursor !== undefined);
    return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /**
   * assignment reads the members and returns the owner each partition 0..count-1 should have by
   * `assignPartitions` (undefined when the group is empty). The lock `_baton.partition:<name>:<p>`
   * says who holds it now.
   */
  async assignment(count: number): Promise<Array<string | undefined>> {
    return assignPartitions(
      count,
      (await this.members()).map((m) => m.id),
    );
  }

  /** partitionLock returns a handle on the lock of one partition (to inspect who owns it). */
  partitionLock(partition: number): Lock {
    return this.#lock(partitionLock(this.name, partition));
  }

  /**
   * watch yields the members present when it starts as joins (unless `fromVersion` is given),
   * then every join and leave in order. Resume with the last change's `version` and `history`.
   * HistoryCompactedError when that history is gone: call `members()` and watch again.
   */
  async *watch(
    options: { fromVersion?: number; history?: string; signal?: AbortSignal } = {},
  ): AsyncGenerator<GroupChange> {
    const known = new Set<string>();
    let fromVersion = options.fromVersion;
    if (fromVersion === undefined) {
      const page = await this.#dict.entries({ limit: 1000 });
      fromVersion = page.version;
      for (const e of page.entries) {
        known.add(e.key);
        yield { type: 'join', id: e.key, meta: e.value.meta, version: page.version, history: page.history };
      }
      if (page.cursor !== undefined) {
        throw new InvalidArgumentError('group has more than 1000 members: watch it with fromVersion');
      }
    } else assertVersion(fromVersion, 'fromVersion');
    for await (const c of this.#dict.watch({
      fromVersion,
      history: options.history,
      signal: options.signal,
    })) {
      if (c.type === 'set') {
        if (known.has(c.key)) continue; // a renewal
        known.add(c.key);
        yield { type: 'join', id: c.key, meta: c.value?.meta, version: c.version, history: c.history };
      } else {
        known.delete(c.key);
        const reason = c.type === 'expire' ? 'expired' : 'left';
        yield { type: 'leave', id: c.key, reason, version: c.version, history: c.history };
      }
    }
  }

  /** @internal follow yields the live member ids (sorted) whenever they change. */
  async *followIds(signal: AbortSignal): AsyncGenerator<string[]> {
    let last = '';
    for await (const state of follow(this.#dict, { signal })) {
      const ids = [...state.keys()].sort();
      const key = ids.join('\n');
      if (key === last) continue;
      last = key;
      yield ids;
    }
  }
}

/** Renewal is the last successful write of a membership: its version and when it was sent. */
interface Renewal {
  readonly version: number;
  readonly startedAt: number;
  readonly ttlMs: number;
}

/** Membership is this process's place in a group, kept alive until `leave()` or loss. */
export class Membership implements AsyncDisposable {
  readonly group: Group;
  readonly id: string;
  readonly meta: JsonValue | undefined;
  readonly #dict: SharedDict<Member>;
  readonly #lock: (name: string) => Lock;
  readonly #settings: LeaseSettings;
  readonly #record: Member;
  readonly #controller = new AbortController();
  readonly #partitions = new Set<Partitions>();
  #renewal: Renewal;
  #timer: NodeJS.Timeout | undefined;
  #deadlineTimer: NodeJS.Timeout | undefined;

  /** @internal Made by `group.join`. */
  constructor(
    group: Group,
    record: Member,
    renewal: Renewal,
    dict: SharedDict<Member>,
    lock: (name: string) => Lock,
    settings: LeaseSettings,
  ) {
    this.group = group;
    this.id = record.id;
    this.meta = record.meta;
    this.#record = record;
    this.#renewal = renewal;
    this.#dict = dict;
    this.#lock = lock;
    this.#settings = settings;
    this.#armDeadline();
    this.#schedule(renewal.ttlMs / 3);
  }

  /** signal aborts when the membership ends: its entry expired or was taken, or `leave()`. Its reason is a LockLostError. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** lost is true once the membership has ended. */
  get lost(): boolean {
    return this.#controller.signal.aborted;
  }

  /**
   * partitions starts owning this member's share of partitions 0..count-1 (see assignPartitions),
   * each as a fenced lease on `_baton.partition:<group>:<p>`, and follows the group as it changes.
   * Iterate the result for the changes. It stops when the membership ends or on `stop()`.
   */
  partitions(count: number, options: PartitionsOptions = {}): Partitions {
    const p = new Partitions(this.group, this.id, count, options, this.#lock, this.signal);
    this.#partitions.add(p);
    return p;
  }

  /** leave stops this member's partitions (releasing them), removes it from the group and aborts `signal`. Idempotent. */
  async leave(): Promise<void> {
    const stops = [...this.#partitions].map((p) => p.stop());
    this.#end('released');
    await Promise.all(stops);
    await this.#dict.delete(this.id, { ifVersion: this.#renewal.version }).catch((err: unknown) => {
      if (!(err instanceof VersionConflictError)) throw err;
    });
  }

  /** Symbol.asyncDispose leaves the group (for `await using`). */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.leave();
  }

  #schedule(ms: number): void {
    if (this.lost) return;
    this.#timer = setTimeout(() => this.#renew(), Math.max(1, ms));
    this.#timer.unref();
  }

  async #renew(): Promise<void> {
    if (this.lost) return;
    if (performance.now() >= localDeadline(this.#renewal, this.#settings)) return this.#end('expired');
    const { ttlMs, version } = this.#renewal;
    const startedAt = performance.now();
    try {
      const next = await this.#dict.set(this.id, this.#record, { ttlMs, ifVersion: version });
      if (this.lost) return;
      this.#renewal = { version: next, startedAt, ttlMs };
      this.#armDeadline();
      this.#schedule(ttlMs / 3 - (performance.now() - startedAt));
    } catch (err) {
      if (err instanceof VersionConflictError) this.#end('extend_refused');
      else if (err instanceof BackendUnavailableError) this.#schedule(ttlMs / 10);
      else this.#end('lost', err);
    }
  }

  #armDeadline(): void {
    if (this.#deadlineTimer) clearTimeout(this.#deadlineTimer);
    const ms = localDeadline(this.#renewal, this.#settings) - performance.now();
    this.#deadlineTimer = setTimeout(() => this.#end('expired'), Math.max(0, Math.ceil(ms)));
    this.#deadlineTimer.unref();
  }

  #end(reason: 'expired' | 'extend_refused' | 'released' | 'lost', cause?: unknown): void {
    if (this.lost) return;
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#deadlineTimer) clearTimeout(this.#deadlineTimer);
    this.#controller.abort(new LockLostError(`${groupDict(this.group.name)}/${this.id}`, reason, { cause }));
  }
}
