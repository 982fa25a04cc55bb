/**
 * SharedDict: a named dictionary many processes mutate safely, Python's
 * `multiprocessing.Manager().dict()` without its traps. Every read returns a fresh copy; every
 * write is one atomic step in the store; read-modify-write is `incr`, `update(fn)` (an optimistic
 * compare-and-set loop) or `batch`. Writes may carry a lease's fence, and the store then refuses
 * them once a newer holder has written.
 *
 * How it fails: InvalidArgumentError / PayloadTooLargeError for bad keys, values or options
 * (checked before anything is sent, nothing changes); VersionConflictError when an `ifVersion`
 * does not match; StaleFenceError for a stale fenced write; TypeMismatchError for `incr` on a
 * non-number; BackendUnavailableError when the store cannot be reached.
 */
import { InvalidArgumentError, StaleFenceError, VersionConflictError } from '../errors.js';
import { assertFenceScope, decodeFenceScope, encodeFenceScope, type FenceScope } from '../fence-scope.js';
import {
  assertKey,
  assertLimit,
  assertName,
  assertPrefix,
  assertTtl,
  assertVersion,
  preview,
} from '../validation.js';
import type {
  BatchOp,
  DeleteOptions,
  DictBackend,
  FenceCheck,
  IssuedFenceReader,
  SetOptions,
  StoredEntry,
  WriteOptions,
} from './backend.js';
import { DEFAULT_MAX_VALUE_BYTES, decodeValue, encodeValue, type JsonValue } from './codec.js';
import type { NearCache, NearCacheStats } from './near-cache.js';

/** MAX_BATCH_OPS is the most operations one batch may carry (etcd's default transaction limit bounds it). */
export const MAX_BATCH_OPS = 100;

/**
 * FenceSource is a held lease, or its fence as plain data: `lock` is the fence scope's text (a
 * lock name, `semaphore/<name>` or `rwlock/<name>`, as `lease.fenceScope` gives it).
 */
export type FenceSource =
  | {
      readonly name: string;
      readonly fence: number;
      readonly token: string;
      /** scope names the fence counter when it is not the lock `name` (rwlock and semaphore leases). */
      readonly scope?: FenceScope | undefined;
    }
  | { readonly lock: string; readonly fence: number; readonly token?: string | undefined };

/** Entry is a value with the version of its last change. */
export interface Entry<T> {
  readonly value: T;
  readonly version: number;
  /** expiresAt is when a TTL'd entry expires, ms since the epoch by the store's clock. */
  readonly expiresAt?: number | undefined;
}

/** Change is one change seen by `watch`. */
export interface Change<T> {
  readonly type: 'set' | 'delete' | 'expire';
  readonly key: string;
  /** value is present for 'set'. */
  readonly value?: T | undefined;
  readonly version: number;
  /** history identifies the dict's history `version` belongs to; pass it back with `fromVersion` to resume. */
  readonly history?: string | undefined;
}

/** DictOp is one operation of a batch: `set` (optionally `ifVersion`, `ttlMs`) or `delete` (optionally `ifVersion`). */
export type DictOp<T> = BatchOp<T>;

/** Page is one page of entries from `entries()`. */
export interface Page<T> {
  readonly entries: Array<{ key: string; value: T; version: number }>;
  /** cursor, when present, fetches the next page. */
  readonly cursor?: string | undefined;
  /** version is the dict's version when the page was read; watch from it to follow later changes. */
  readonly version: number;
  /** history identifies the history `version` belongs to (absent for a dict never written). */
  readonly history?: string | undefined;
}

/** FencedOptions carry an optional fence: a lease (`fence: lease`) or `{ lock, fence, token? }`. */
export type FencedOptions = WriteOptions<FenceSource>;

/** DictSetOptions: `ttlMs`; `ifVersion` 0 means "only if absent", n > 0 "only if the entry's version is n". */
export type DictSetOptions = SetOptions<FenceSource>;

/** UpdateOptions tune the `update(fn)` loop. */
export interface UpdateOptions extends FencedOptions {
  readonly ttlMs?: number | undefined;
  /** maxAttempts bounds how often `fn` may run before VersionConflictError. Default 1000. */
  readonly maxAttempts?: number | undefined;
}

/** DictSettings are the per-connection rules a SharedDict follows. */
export interface DictSettings {
  readonly maxValueBytes: number;
  /** ownershipGuard: send the lease token with fenced writes so the store checks the holder too. */
  readonly ownershipGuard: boolean;
  /**
   * issuedFence, given when the dict store cannot tell which fences a lock has issued (see
   * DictCapabilities.fenceIssuedCheck), reads a fence scope's issued-fence counter from the lock
   * store before a fenced write to `dict`; every fenced write is then checked against it first
   * (StaleFenceError `unissued_fence`). Issued fences only grow, so a fence found issued stays
   * issued and the check need not be atomic with the write. A lock store that can (Redis) also
   * remembers which dicts accepted a write fenced by the scope and answers `floorIfLost` for them
   * (FenceCheck.floorIfLost).
   */
  readonly issuedFence?: IssuedFenceReader | undefined;
}

/** DEFAULT_DICT_SETTINGS are used when connect() is given none. */
export const DEFAULT_DICT_SETTINGS: DictSettings = Object.freeze({
  maxValueBytes: DEFAULT_MAX_VALUE_BYTES,
  ownershipGuard: true,
});

/**
 * SharedDict is a handle on one named dict. It caches nothing unless made with
 * `baton.dict(name, { cache })`: then `get`, `getEntry` and `has` may be answered by the
 * client's near cache of the dict (near-cache.ts), and every write through it updates that cache.
 */
export class SharedDict<T = JsonValue> {
  readonly name: string;
  readonly #backend: DictBackend;
  readonly #settings: DictSettings;
  /** #cache reads through the near cache; #caches finds the client's cache of this dict (if any) to tell it of writes. */
  readonly #cache: NearCache | undefined;
  readonly #caches: (() => NearCache | undefined) | undefined;

  /**
   * @internal Dicts are made by `baton.dict(name)`. `cache` is the near cache reads go through;
   * `caches` finds the client's near cache of this dict, which every write is reported to, so a
   * write through a handle without the cache is still seen by the cached handles' next read.
   */
  constructor(
    name: string,
    backend: DictBackend,
    settings: DictSettings = DEFAULT_DICT_SETTINGS,
    cache?: NearCache,
    caches?: () => NearCache | undefined,
  ) {
    this.name = assertName(name, 'dict');
    this.#backend = backend;
    this.#settings = settings;
    this.#cache = cache;
    this.#caches = caches ?? (cache && (() => cache));
  }

  /** cacheStats describes this handle's near cache; undefined when it reads without one. */
  cacheStats(): NearCacheStats | undefined {
    return this.#cache?.stats();
  }

  /** get returns the value stored at `key`, or undefined. */
  async get(key: string): Promise<T | undefined> {
    return (await this.getEntry(key))?.value;
  }

  /** getEntry returns the value and its version, or undefined. */
  async getEntry(key: string): Promise<Entry<T> | undefined> {
    const e = await this.#read(assertKey(key));
    return e && { value: decodeValue<T>(e.value), version: e.version, expiresAt: e.expiresAt };
  }

  /** has tells whether `key` holds a live entry. */
  async has(key: string): Promise<boolean> {
    return (await this.#read(assertKey(key))) !== undefined;
  }

  /** set stores `value` at `key` and resolves to the new version. VersionConflictError, StaleFenceError. */
  async set(key: string, value: T, options: DictSetOptions = {}): Promise<number> {
    assertKey(key);
    const text = this.#encode(value);
    const ttlMs = optionalTtl(options.ttlMs);
    const ifVersion = optionalVersion(options.ifVersion);
    const fence = await this.#issued(this.#fence(options.fence));
    return this.#wrote(key, this.#backend.set(this.name, key, text, { ttlMs, ifVersion, fence }), (v) => v);
  }

  /** setIfAbsent stores `value` only if `key` is absent, and resolves to the value now stored (like Python's setdefault). */
  async setIfAbsent(key: string, value: T, options: Omit<DictSetOptions, 'ifVersion'> = {}): Promise<T> {
    assertKey(key);
    const text = this.#encode(value);
    const ttlMs = optionalTtl(options.ttlMs);
    const fence = await this.#issued(this.#fence(options.fence));
    const { entry } = await this.#wrote(
      key,
      this.#backend.setIfAbsent(this.name, key, text, { ttlMs, fence }),
      (r) => r.entry.version,
    );
    return decodeValue<T>(entry.value);
  }

  /** delete removes `key`; resolves false when it was absent. VersionConflictError, StaleFenceError. */
  async delete(key: string, options: DeleteOptions<FenceSource> = {}): Promise<boolean> {
    assertKey(key);
    const ifVersion = optionalVersion(options.ifVersion);
    const fence = await this.#issued(this.#fence(options.fence));
    return this.#wrote(key, this.#backend.delete(this.name, key, { ifVersion, fence }), () => undefined);
  }

  /** pop removes `key` and resolves to what it held, atomically; undefined when absent. */
  async pop(key: string, options: FencedOptions = {}): Promise<T | undefined> {
    assertKey(key);
    const fence = await this.#issued(this.#fence(options.fence));
    const e = await this.#wrote(key, this.#backend.pop(this.name, key, { fence }), (p) => p?.version);
    return e && decodeValue<T>(e.value);
  }

  /** incr adds `by` (default 1) to the number at `key` (absent counts as 0) atomically. TypeMismatchError on a non-number. */
  async incr(key: string, by = 1, options: FencedOptions = {}): Promise<number> {
    return (await this.incrEntry(key, by, options)).value;
  }

  /** incrEntry is `incr` that also resolves to the version of the change. */
  async incrEntry(
    key: string,
    by = 1,
    options: FencedOptions = {},
  ): Promise<{ value: number; version: number }> {
    if (typeof by !== 'number' || !Number.isFinite(by)) {
      throw new InvalidArgumentError(`incr by must be a finite number (got ${preview(by)})`);
    }
    assertKey(key);
    const fence = await this.#issued(this.#fence(options.fence));
    return this.#wrote(key, this.#backend.incr(this.name, key, by, { fence }), (r) => r.version);
  }

  /**
   * update runs `fn(current)` and stores what it returns, only if nobody changed the entry in
   * between; otherwise it runs `fn` again on the new value (so `fn` may run more than once and
   * should have no side effects). `fn` must return the new value: mutating `current` in place
   * and returning nothing is refused with InvalidArgumentError. Resolves to the stored value.
   * VersionConflictError after `maxAttempts`.
   */
  async update(
    key: string,
    fn: (current: T | undefined, entry: Entry<T> | undefined) => T | Promise<T>,
    options: UpdateOptions = {},
  ): Promise<T> {
    assertKey(key);
    const ttlMs = optionalTtl(options.ttlMs);
    const fence = await this.#issued(this.#fence(options.fence));
    const maxAttempts = options.maxAttempts ?? 1000;
    if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
      throw new InvalidArgumentError(`maxAttempts must be a positive integer (got ${preview(maxAttempts)})`);
    }
    for (let attempt = 1; ; attempt++) {
      const stored = await this.#backend.get(this.name, key);
      const entry = stored && {
        value: decodeValue<T>(stored.value),
        version: stored.version,
        expiresAt: stored.expiresAt,
      };
      const next = await fn(entry?.value, entry);
      if (next === undefined) {
        throw new InvalidArgumentError(
          'update fn returned undefined: return the new value (mutating the current value in place is not enough)',
        );
      }
      const text = this.#encode(next);
      try {
        const written = this.#backend.set(this.name, key, text, {
          ifVersion: stored?.version ?? 0,
          ttlMs,
          fence,
        });
        await this.#wrote(key, written, (v) => v);
        return decodeValue<T>(text);
      } catch (err) {
        if (!(err instanceof VersionConflictError) || attempt >= maxAttempts) throw err;
      }
      await backoff(attempt);
    }
  }

  /** batch applies every op or none, as one version, and resolves to that version. VersionConflictError, StaleFenceError. */
  async batch(ops: ReadonlyArray<DictOp<T>>, options: FencedOptions = {}): Promise<number> {
    if (!Array.isArray(ops) || ops.length === 0 || ops.length > MAX_BATCH_OPS) {
      throw new InvalidArgumentError(
        `batch needs 1 to ${MAX_BATCH_OPS} ops (got ${Array.isArray(ops) ? ops.length : preview(ops)})`,
      );
    }
    const seen = new Set<string>();
    const encoded: BatchOp[] = ops.map((op, i) => {
      if (op === null || typeof op !== 'object')
        throw new InvalidArgumentError(`batch op ${i} must be an object`);
      const key = assertKey(op.key);
      if (seen.has(key))
        throw new InvalidArgumentError(`batch op ${i}: key ${JSON.stringify(key)} appears twice`);
      seen.add(key);
      const ifVersion = optionalVersion(op.ifVersion);
      if (op.op === 'set') {
        return { op: 'set', key, value: this.#encode(op.value), ifVersion, ttlMs: optionalTtl(op.ttlMs) };
      }
      if (op.op === 'delete') return { op: 'delete', key, ifVersion };
      throw new InvalidArgumentError(
        `batch op ${i}: op must be "set" or "delete" (got ${preview((op as { op: unknown }).op)})`,
      );
    });
    const fence = await this.#issued(this.#fence(options.fence));
    const written = this.#backend.batch(this.name, encoded, { fence });
    const cache = this.#caches?.();
    if (cache === undefined) return written;
    try {
      const version = await written;
      for (const op of encoded) cache.wrote(op.key, version);
      return version;
    } catch (err) {
      for (const op of encoded) cache.wrote(op.key, undefined);
      throw err;
    }
  }

  /** entries reads one page of entries (default 100, at most 10 000), optionally under a key prefix. */
  async entries(options: { prefix?: string; limit?: number; cursor?: string } = {}): Promise<Page<T>> {
    const page = await this.#backend.list(this.name, {
      prefix: assertPrefix(options.prefix),
      limit: assertLimit(options.limit ?? 100),
      cursor: optionalCursor(options.cursor),
    });
    return {
      entries: page.entries.map(({ key, entry }) => ({
        key,
        value: decodeValue<T>(entry.value),
        version: entry.version,
      })),
      cursor: page.cursor,
      version: page.version,
      ...(page.history === undefined ? {} : { history: page.history }),
    };
  }

  /** keys lists every live key (optionally under a prefix), reading page by page. */
  async keys(options: { prefix?: string } = {}): Promise<string[]> {
    const prefix = assertPrefix(options.prefix);
    const out: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.#backend.list(this.name, { prefix, limit: 1000, cursor, keysOnly: true });
      for (const e of page.entries) out.push(e.key);
      cursor = page.cursor;
    } while (cursor !== undefined);
    return out;
  }

  /** size counts the live entries. */
  size(): Promise<number> {
    return this.#backend.size(this.name);
  }

  /** clear deletes every entry (watchers see one delete per key). Fence history is kept. */
  clear(): Promise<void> {
    return this.#wrote(undefined, this.#backend.clear(this.name), () => undefined);
  }

  /** version is the dict's current version (0 when never written). */
  version(): Promise<number> {
    return this.#backend.version(this.name);
  }

  /**
   * watch yields every change after `fromVersion` (exclusive; default: from now) in version
   * order, exactly once. Resume after a disconnect by passing the last version seen and its
   * `history` (every change carries it). Fails with HistoryCompactedError when that history is
   * gone: compacted, another history than `history` (the store restarted or lost the dict), or
   * `fromVersion` past the dict's current version; list again and watch from the page's version.
   * A batch's changes share one version and arrive together: to resume without gaps, resume
   * from a version whose changes you have all seen (breaking out in the middle of a batch and
   * resuming from its version skips the rest of that batch).
   */
  async *watch(
    options: { prefix?: string; fromVersion?: number; history?: string; signal?: AbortSignal } = {},
  ): AsyncGenerator<Change<T>> {
    const prefix = assertPrefix(options.prefix);
    const fromVersion = optionalVersion(options.fromVersion, 'fromVersion');
    const history = optionalHistory(options.history);
    for await (const batch of this.#backend.watch(this.name, {
      prefix,
      fromVersion,
      history,
      signal: options.signal,
    })) {
      const h = batch.history === undefined ? {} : { history: batch.history };
      for (const c of batch.changes) {
        if (prefix && !c.key.startsWith(prefix)) continue;
        yield c.type === 'set' && c.value !== undefined
          ? { type: c.type, key: c.key, value: decodeValue<T>(c.value), version: batch.version, ...h }
          : { type: c.type, key: c.key, version: batch.version, ...h };
      }
    }
  }

  /** #read reads one entry through the near cache when this dict has one. */
  #read(key: string): Promise<StoredEntry | undefined> {
    return this.#cache ? this.#cache.get(key) : this.#backend.get(this.name, key);
  }

  /**
   * #wrote tells the near cache (if any) about a write of `key` (undefined: every key) once it
   * settles: with the version `versionOf` finds in its result, or none when it failed (its
   * outcome may be unknown), so that this client's next read of the key goes to the store.
   */
  async #wrote<R>(
    key: string | undefined,
    write: Promise<R>,
    versionOf: (result: R) => number | undefined,
  ): Promise<R> {
    const cache = this.#caches?.();
    if (cache === undefined) return write;
    try {
      const result = await write;
      cache.wrote(key, versionOf(result));
      return result;
    } catch (err) {
      cache.wrote(key, undefined);
      throw err;
    }
  }

  #encode(value: unknown): string {
    return encodeValue(value, this.#settings.maxValueBytes);
  }

  #fence(source: FenceSource | undefined): FenceCheck | undefined {
    if (source === undefined) return undefined;
    if (source === null || typeof source !== 'object') {
      throw new InvalidArgumentError('fence must be a lease or { lock, fence, token? }');
    }
    const scope =
      'lock' in source
        ? decodeFenceScope(source.lock)
        : source.scope === undefined
          ? decodeFenceScope(source.name)
          : assertFenceScope(source.scope);
    const fence = source.fence;
    if (typeof fence !== 'number' || !Number.isSafeInteger(fence) || fence < 1) {
      throw new InvalidArgumentError(`fence must be a positive integer (got ${preview(fence)})`);
    }
    const token = source.token;
    if (token !== undefined && (typeof token !== 'string' || token.length === 0 || token.length > 256)) {
      throw new InvalidArgumentError('fence token must be a non-empty string of at most 256 characters');
    }
    // The ownership guard checks a mutex holder; rwlock and semaphore fences are checked by fence alone.
    const guarded = this.#settings.ownershipGuard && scope.kind === 'lock';
    return { scope, lock: encodeFenceScope(scope), fence, token: guarded ? token : undefined };
  }

  /**
   * #issued refuses, with StaleFenceError `unissued_fence`, a fence above its scope's issued
   * counter when this client checks issuance itself (settings.issuedFence); the store is then
   * told not to check again, and given the floor to apply if it lost this dict's fence table.
   */
  async #issued(check: FenceCheck | undefined): Promise<FenceCheck | undefined> {
    const read = this.#settings.issuedFence;
    if (check === undefined || read === undefined) return check;
    const { issued, floorIfLost } = await read(check.scope, check.fence, this.name);
    if (check.fence > issued) throw new StaleFenceError(check.lock, check.fence, 'unissued_fence');
    return { ...check, issuedChecked: true, floorIfLost };
  }
}

function optionalTtl(ttlMs: unknown): number | undefined {
  return ttlMs === undefined ? undefined : assertTtl(ttlMs);
}

function optionalVersion(v: unknown, what = 'ifVersion'): number | undefined {
  return v === undefined ? undefined : assertVersion(v, what);
}

/** MAX_HISTORY_ID_LENGTH bounds a history id passed back to `watch`. */
const MAX_HISTORY_ID_LENGTH = 128;

function optionalHistory(h: unknown): string | undefined {
  if (h === undefined) return undefined;
  if (
    typeof h !== 'string' ||
    h.length === 0 ||
    h.length > MAX_HISTORY_ID_LENGTH ||
    !/^[\x21-\x7e]+$/.test(h)
  )
    throw new InvalidArgumentError(
      `history must be a history id from a change or a page (1 to ${MAX_HISTORY_ID_LENGTH} printable ASCII characters)`,
    );
  return h;
}

function optionalCursor(c: unknown): string | undefined {
  if (c === undefined || c === '') return undefined;
  if (typeof c !== 'string' || c.length > 4096)
    throw new InvalidArgumentError('cursor must be a string from a previous page');
  return c;
}

function backoff(attempt: number): Promise<void> {
  const cap = Math.min(50, 2 ** Math.min(attempt, 6));
  return new Promise((resolve) => setTimeout(resolve, Math.random() * cap));
}
