/**
 * The dict backend contract: atomic primitives over one named dict in a store. Values cross this
 * boundary already encoded (JSON text); codecs, validation, the `update(fn)` loop and watch
 * flattening live above, once, in src/shared-state.
 *
 * Every mutation of a dict takes the next value of that dict's own monotonic revision (etcd may
 * use its global revision); a batch is one mutation and all its changes share one version.
 * Every method rejects with a BatonError: VersionConflictError, StaleFenceError,
 * TypeMismatchError, HistoryCompactedError or BackendUnavailableError as documented per method.
 */
import type { FenceScope } from '../fence-scope.js';
import type { ListFilter } from '../list-filter.js';

/** DictCapabilities describes what a dict backend guarantees. */
export interface DictCapabilities {
  /**
   * ownershipGuard is true when a fenced write carrying a lock token is also refused unless that
   * token still holds the lock, checked atomically with the write (lock and dict in one store).
   */
  readonly ownershipGuard: boolean;
  /**
   * fenceIssuedCheck is true when the store itself refuses a fence that no grant of its lock
   * (semaphore, rwlock) has issued, atomically with the write, so no client, not even one that
   * bypasses baton, can raise a dict's recorded fence past what the lock has issued (memory,
   * single-node and Sentinel Redis, etcd; http: the server checks). When false (Redis Cluster,
   * where lock and dict live in different slots; a composed `{ locks, dicts }` client), SharedDict
   * reads the lock's issued fence before each fenced write instead: one more round trip, and only
   * writes made through baton are checked. Either way a forged fence is StaleFenceError
   * `unissued_fence`.
   */
  readonly fenceIssuedCheck: boolean;
  /** ttlGranularityMs is the resolution of per-entry TTLs (an entry may live up to this much longer). */
  readonly ttlGranularityMs: number;
  /** historyLimit is how many versions of watch history are kept, when bounded by count. */
  readonly historyLimit?: number | undefined;
}

/** StoredEntry is one entry as stored: encoded value and the version of its last change. */
export interface StoredEntry {
  readonly value: string;
  readonly version: number;
  /** expiresAt is when the entry expires, ms since the epoch by the store's clock. */
  readonly expiresAt?: number | undefined;
}

/**
 * FenceCheck makes a write conditional on a fence of `scope` (and, with `token`, on holding the
 * lock). A store with `fenceIssuedCheck` refuses a fence above the scope's issued-fence counter
 * (`unissued_fence`) before anything else, and then changes nothing.
 */
export interface FenceCheck {
  /** scope is the fence counter the fence belongs to: a lock's, a semaphore's or an rwlock's. */
  readonly scope: FenceScope;
  /** lock is encodeFenceScope(scope), the text stores file fences under and errors name; never parse it. */
  readonly lock: string;
  readonly fence: number;
  /** token asks for the ownership guard, where the backend has it (see capabilities). */
  readonly token?: string | undefined;
  /**
   * issuedChecked tells the store that the caller already checked issuance against the lock's
   * own store (a composed client, whose locks live elsewhere); the store then skips its check.
   */
  readonly issuedChecked?: boolean | undefined;
  /**
   * floorIfLost, given with issuedChecked, is the fence floor to apply when this dict has no
   * fence recorded for `scope` although the lock store saw it accept one before (the dict's store
   * lost its fence table, e.g. a Redis master restarted empty while the lock's master did not):
   * the scope's issued counter when the check was made, so a fence below it is refused as
   * `newer_fence`. Undefined when the dict never accepted a write fenced by this scope.
   */
  readonly floorIfLost?: number | undefined;
}

/**
 * IssuedFence is what a composed check reads from the lock store before a fenced write (see
 * DictSettings.issuedFence): the scope's issued-fence counter, and `floorIfLost` when the lock
 * store remembers that this dict accepted a write fenced by the scope before.
 */
export interface IssuedFence {
  readonly issued: number;
  readonly floorIfLost?: number | undefined;
}

/** IssuedFenceReader reads an IssuedFence from the lock store before a write to `dict` fenced by `fence` of `scope`. */
export type IssuedFenceReader = (scope: FenceScope, fence: number, dict: string) => Promise<IssuedFence>;

/**
 * WriteOptions are the conditions common to every mutation. `F` is how the fence is given: a
 * FenceCheck at this contract, a lease or `{ lock, fence, token? }` in SharedDict's options
 * (FencedOptions), which SharedDict checks and turns into a FenceCheck.
 */
export interface WriteOptions<F = FenceCheck> {
  /**
   * fence refuses the write with StaleFenceError when the fence was never issued for its scope
   * (`unissued_fence`) or a higher fence for it was accepted by this dict (`newer_fence`).
   */
  readonly fence?: F | undefined;
}

/** SetOptions: `ifVersion` 0 means "only if absent"; n > 0 means "only if its version is n". */
export interface SetOptions<F = FenceCheck> extends WriteOptions<F> {
  readonly ttlMs?: number | undefined;
  readonly ifVersion?: number | undefined;
}

/** DeleteOptions: `ifVersion` n > 0 means "only if its version is n". */
export interface DeleteOptions<F = FenceCheck> extends WriteOptions<F> {
  readonly ifVersion?: number | undefined;
}

/** SetIfAbsentOptions are a setIfAbsent's: a write's, plus the TTL of the entry it may store. */
export interface SetIfAbsentOptions<F = FenceCheck> extends WriteOptions<F> {
  readonly ttlMs?: number | undefined;
}

/** SetIfAbsentResult is the entry now stored under the key, and whether this call stored it. */
export interface SetIfAbsentResult {
  entry: StoredEntry;
  created: boolean;
}

/** IncrResult is the value an incr left and the version it wrote. */
export interface IncrResult {
  value: number;
  version: number;
}

/**
 * BatchOp is one operation of an all-or-nothing batch. `V` is its value: encoded JSON text at
 * this contract, the value itself in SharedDict.batch (DictOp).
 */
export type BatchOp<V = string> =
  | {
      readonly op: 'set';
      readonly key: string;
      readonly value: V;
      readonly ifVersion?: number | undefined;
      readonly ttlMs?: number | undefined;
    }
  | { readonly op: 'delete'; readonly key: string; readonly ifVersion?: number | undefined };

/** ListOptions select a page of entries. `cursor` is opaque and comes from the previous page. */
export interface ListOptions extends ListFilter {
  readonly cursor?: string | undefined;
  /** keysOnly lets a backend skip reading values (they are then returned as ''). */
  readonly keysOnly?: boolean | undefined;
}

/** ListPage is one page of entries, with the dict's version at the time of reading. */
export interface ListPage {
  readonly entries: ReadonlyArray<{ readonly key: string; readonly entry: StoredEntry }>;
  /** cursor is present when more entries may follow. */
  readonly cursor?: string | undefined;
  readonly version: number;
  /** history identifies the dict's history `version` belongs to (see ChangeBatch.history); absent for a dict never written. */
  readonly history?: string | undefined;
}

/** StoredChange is one change in the watch history. `value` is set for 'set'. */
export interface StoredChange {
  readonly type: 'set' | 'delete' | 'expire';
  readonly key: string;
  readonly value?: string | undefined;
}

/** ChangeBatch is all changes made by one mutation, i.e. one version. */
export interface ChangeBatch {
  readonly version: number;
  readonly changes: readonly StoredChange[];
  /**
   * history identifies the history this version belongs to: an opaque id that changes whenever
   * the dict's history starts again (a new memory store, a Redis that lost the dict, a wiped
   * etcd), so that the same version number in two histories can be told apart.
   */
  readonly history?: string | undefined;
}

/**
 * WatchRequest selects changes after `fromVersion` (exclusive); without it, from now. A watch
 * fails with HistoryCompactedError when `fromVersion` is past the dict's current version, or
 * when `history` is given and is not the dict's current history.
 */
export interface WatchRequest {
  readonly prefix?: string | undefined;
  readonly fromVersion?: number | undefined;
  /** history is the id of the history `fromVersion` was seen in (ChangeBatch.history / ListPage.history). */
  readonly history?: string | undefined;
  readonly signal?: AbortSignal | undefined;
}

/** DictBackend is the set of primitives a dict store implements. */
export interface DictBackend {
  readonly capabilities: DictCapabilities;
  /** get reads one entry; expired entries are never returned. */
  get(dict: string, key: string): Promise<StoredEntry | undefined>;
  /** set writes one entry and resolves to its new version. VersionConflictError, StaleFenceError. */
  set(dict: string, key: string, value: string, options: SetOptions): Promise<number>;
  /** setIfAbsent stores `value` only when the key is absent; resolves to the entry now stored. StaleFenceError. */
  setIfAbsent(
    dict: string,
    key: string,
    value: string,
    options: SetIfAbsentOptions,
  ): Promise<SetIfAbsentResult>;
  /** delete removes one entry; false when it did not exist. VersionConflictError, StaleFenceError. */
  delete(dict: string, key: string, options: DeleteOptions): Promise<boolean>;
  /** pop removes one entry and returns what it held, atomically. StaleFenceError. */
  pop(dict: string, key: string, options: WriteOptions): Promise<StoredEntry | undefined>;
  /**
   * incr adds `by` to a numeric entry (absent counts as 0) and returns the new value and version.
   * TypeMismatchError when the stored value is not a JSON number. The TTL of an existing entry is kept.
   */
  incr(dict: string, key: string, by: number, options: WriteOptions): Promise<IncrResult>;
  /** batch applies all ops or none, as one version. VersionConflictError (nothing applied), StaleFenceError. */
  batch(dict: string, ops: readonly BatchOp[], options: WriteOptions): Promise<number>;
  /** list reads a page of live entries. */
  list(dict: string, options: ListOptions): Promise<ListPage>;
  /** size counts the live entries. */
  size(dict: string): Promise<number>;
  /** clear deletes every entry (one version, one delete change per key); fence state is kept. */
  clear(dict: string): Promise<void>;
  /** version is the dict's current revision (0 for a dict never written). */
  version(dict: string): Promise<number>;
  /** watch yields change batches after `fromVersion` in version order. HistoryCompactedError when that history is gone. */
  watch(dict: string, request: WatchRequest): AsyncIterable<ChangeBatch>;
  /** listDicts names the dicts that have entries (for dashboards), when the backend can without a keyspace scan. */
  listDicts?(options?: ListFilter): Promise<Array<{ name: string; size: number }>>;
  /** ping resolves when the store answers, else rejects with BackendUnavailableError. */
  ping(): Promise<void>;
  /** close ends this client's watches and closes its connections. */
  close(): Promise<void>;
}
