/**
 * NearCache: an opt-in, bounded, in-process cache of one dict's entries for one client, kept
 * current by one watch of that dict (`baton.dict(name, { cache: { maxEntries } })`).
 *
 * What it promises (docs/API.md "Near cache", docs/SAFETY.md):
 * - read-your-writes: a write through this client is seen by this client's next read;
 * - monotonic reads: a read never returns an older version than a read or write of this dict
 *   through this client that completed before it started (per key, and across keys: a cache hit
 *   reflects every change up to the watch's applied version, which is served only once it has
 *   reached every version this client has read or written);
 * - bounded staleness: once the watch has delivered a change, no read returns what it replaced;
 * - the cache is dropped whenever the watch breaks (error, HistoryCompactedError, overflow,
 *   another history = the store was reset); reads then go to the store until a new watch runs.
 * It is not linearizable: a read may miss another client's write acknowledged less than one
 * watch delivery ago.
 *
 * How it works: a hit needs an entry and `applied >= floor`, where `applied` is the version the
 * watch has delivered and `floor` the highest version this client has read or written. A miss
 * reads the store; the result is kept only when no change to that key arrived while it was read
 * (`Fetch.stale`), the watch epoch is the one it was read in, and it has no TTL (entries with a
 * TTL are never cached, so none is served past its expiry whatever the clocks say). A delivered
 * change removes the key's entry (invalidation), so the next read fetches it. Absent keys are
 * never cached (an absent read carries no version to order it by). Concurrent misses on one key
 * share one store read, unless something happened since it was sent that it may not reflect.
 *
 * How it fails: it never fails a read: when the watch cannot run, reads go to the store and the
 * watch is retried with a capped backoff. InvalidArgumentError for bad options (checkCacheOptions).
 */
import { InvalidArgumentError } from '../errors.js';
import { preview } from '../validation.js';
import type { DictBackend, StoredEntry } from './backend.js';

/** MAX_CACHE_ENTRIES bounds `cache.maxEntries`. */
export const MAX_CACHE_ENTRIES = 1_000_000;

/** NearCacheOptions configure a dict's near cache. */
export interface NearCacheOptions {
  /** maxEntries bounds how many entries are kept (1 to 1 000 000); the least recently used go first. */
  readonly maxEntries: number;
}

/** NearCacheStats describe a near cache for monitoring and tests. */
export interface NearCacheStats {
  /** entries is how many entries are cached now. */
  readonly entries: number;
  readonly maxEntries: number;
  /** hits counts reads answered from memory; misses those that went to the store. */
  readonly hits: number;
  readonly misses: number;
  /** watching is true while a watch feeds the cache (hits are possible only then). */
  readonly watching: boolean;
  /** appliedVersion is the dict version the watch has delivered (0 while not watching). */
  readonly appliedVersion: number;
  /** resets counts how often the cache was dropped because its watch broke or restarted. */
  readonly resets: number;
}

/** checkCacheOptions validates `cache` of `baton.dict(name, { cache })`. InvalidArgumentError otherwise. */
export function checkCacheOptions(cache: unknown): NearCacheOptions {
  if (cache === null || typeof cache !== 'object' || Array.isArray(cache)) {
    throw new InvalidArgumentError(`cache must be an object { maxEntries } (got ${preview(cache)})`);
  }
  for (const k of Object.keys(cache)) {
    if (k !== 'maxEntries')
      throw new InvalidArgumentError(`cache has an unknown option ${JSON.stringify(k)}`);
  }
  const maxEntries = (cache as { maxEntries?: unknown }).maxEntries;
  if (
    typeof maxEntries !== 'number' ||
    !Number.isInteger(maxEntries) ||
    maxEntries < 1 ||
    maxEntries > MAX_CACHE_ENTRIES
  ) {
    throw new InvalidArgumentError(
      `cache.maxEntries must be an integer from 1 to ${MAX_CACHE_ENTRIES} (got ${preview(maxEntries)})`,
    );
  }
  return { maxEntries };
}

/** Fetch is one store read of a key that concurrent misses may share. */
interface Fetch {
  readonly promise: Promise<StoredEntry | undefined>;
  /** stale: a change of the key (delivered or written here) happened after the read was sent. */
  stale: boolean;
  readonly epoch: number;
  /** floor is the cache's floor when the read was sent: joining a read sent below today's floor could go back. */
  readonly floor: number;
}

/** HITS_PER_TURN is how many hits are answered in one turn of the event loop before the rest wait for the next. */
const HITS_PER_TURN = 256;

/** RETRY_MIN_MS and RETRY_MAX_MS bound the backoff between attempts to (re)start the watch. */
const RETRY_MIN_MS = 50;
const RETRY_MAX_MS = 2_000;

/** NearCache is one dict's cache on one client. */
export class NearCache {
  readonly maxEntries: number;
  readonly #backend: DictBackend;
  readonly #dict: string;
  /** #entries holds encoded values in LRU order (the first is the least recently used). */
  readonly #entries = new Map<string, { readonly value: string; readonly version: number }>();
  readonly #pending = new Map<string, Fetch>();
  /** #epoch changes whenever the cache is dropped; a read sent in another epoch is not kept. */
  #epoch = 0;
  /** #watching: a watch from #applied runs in this epoch (hits and inserts are allowed). */
  #watching = false;
  #applied = 0;
  #history: string | undefined;
  /** #floor is the highest version this client has read or written in this dict (this history). */
  #floor = 0;
  #hits = 0;
  #misses = 0;
  #resets = 0;
  #started = false;
  #hitsThisTurn = 0;
  readonly #stop = new AbortController();
  #loop: Promise<void> | undefined;

  constructor(backend: DictBackend, dict: string, options: NearCacheOptions) {
    this.#backend = backend;
    this.#dict = dict;
    this.maxEntries = options.maxEntries;
  }

  /** stats reports the cache's counters. */
  stats(): NearCacheStats {
    return {
      entries: this.#entries.size,
      maxEntries: this.maxEntries,
      hits: this.#hits,
      misses: this.#misses,
      watching: this.#watching,
      appliedVersion: this.#watching ? this.#applied : 0,
      resets: this.#resets,
    };
  }

  /** get answers from memory when it may, else from the store (starting the watch on first use). */
  get(key: string): Promise<StoredEntry | undefined> {
    if (!this.#started) this.#start();
    if (this.#watching && this.#applied >= this.#floor) {
      const e = this.#entries.get(key);
      if (e !== undefined) {
        this.#entries.delete(key);
        this.#entries.set(key, e);
        this.#hits++;
        return this.#answer(e);
      }
    }
    this.#misses++;
    const shared = this.#pending.get(key);
    if (shared && !shared.stale && shared.epoch === this.#epoch && shared.floor === this.#floor) {
      return shared.promise;
    }
    return this.#fetch(key);
  }

  /**
   * wrote records a write of `key` by this client that resolved at `version` (undefined when the
   * write reports none, or its outcome is unknown): the key's entry and any read of it in flight
   * are dropped, and the floor rises so no hit is older than the write.
   */
  wrote(key: string | undefined, version: number | undefined): void {
    if (key === undefined) {
      this.#entries.clear();
      for (const f of this.#pending.values()) f.stale = true;
    } else {
      this.#entries.delete(key);
      const f = this.#pending.get(key);
      if (f) f.stale = true;
    }
    if (version !== undefined) this.observed(version);
  }

  /** observed raises the floor to a version this client has seen in the dict. */
  observed(version: number): void {
    if (version > this.#floor) this.#floor = version;
  }

  /** close stops the watch and drops the cache; reads after it go to the store. */
  async close(): Promise<void> {
    this.#started = true;
    this.#stop.abort();
    this.#drop();
    await this.#loop;
  }

  /**
   * #answer resolves a hit. A hit needs no I/O, so a loop of awaited hits would never let the
   * event loop run, and with it the watch that keeps the cache current (a loop polling for
   * another client's write would spin forever): after HITS_PER_TURN hits in one turn of the
   * event loop, hits wait for the next turn (setImmediate), after pending I/O.
   */
  #answer(e: StoredEntry): Promise<StoredEntry> {
    if (this.#hitsThisTurn === 0) setImmediate(() => (this.#hitsThisTurn = 0));
    if (++this.#hitsThisTurn <= HITS_PER_TURN) return Promise.resolve(e);
    return new Promise((resolve) => setImmediate(() => resolve(e)));
  }

  #fetch(key: string): Promise<StoredEntry | undefined> {
    const epoch = this.#epoch;
    const keep = this.#watching;
    const fetch: Fetch = {
      promise: this.#backend.get(this.#dict, key).then(
        (e) => {
          if (this.#pending.get(key) === fetch) this.#pending.delete(key);
          if (e === undefined) return e;
          this.observed(e.version);
          if (keep && !fetch.stale && epoch === this.#epoch && e.expiresAt === undefined)
            this.#insert(key, e);
          return e;
        },
        (err: unknown) => {
          if (this.#pending.get(key) === fetch) this.#pending.delete(key);
          throw err;
        },
      ),
      stale: false,
      epoch,
      floor: this.#floor,
    };
    this.#pending.set(key, fetch);
    return fetch.promise;
  }

  #insert(key: string, e: StoredEntry): void {
    this.#entries.delete(key);
    this.#entries.set(key, { value: e.value, version: e.version });
    if (this.#entries.size > this.maxEntries) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
  }

  /** #changed applies one delivered change: the key's older entry and reads in flight are dropped. */
  #changed(key: string, version: number): void {
    const e = this.#entries.get(key);
    if (e !== undefined && e.version < version) this.#entries.delete(key);
    const f = this.#pending.get(key);
    if (f) f.stale = true;
  }

  /** #drop forgets everything cached and stops hits until a new watch runs. */
  #drop(): void {
    this.#epoch++;
    this.#watching = false;
    this.#entries.clear();
    for (const f of this.#pending.values()) f.stale = true;
    this.#pending.clear();
  }

  #start(): void {
    this.#started = true;
    this.#loop = this.#run();
  }

  /** #run keeps one watch of the dict going until close, dropping the cache whenever it breaks. */
  async #run(): Promise<void> {
    const signal = this.#stop.signal;
    let failures = 0;
    while (!signal.aborted) {
      try {
        const page = await this.#backend.list(this.#dict, { limit: 1, keysOnly: true });
        if (signal.aborted) return;
        this.#begin(page.version, page.history);
        for await (const batch of this.#backend.watch(this.#dict, {
          fromVersion: page.version,
          history: page.history,
          signal,
        })) {
          if (batch.history !== undefined && batch.history !== this.#history) {
            if (this.#history !== undefined) break; // the store started another history: drop
            this.#history = batch.history;
          }
          for (const c of batch.changes) this.#changed(c.key, batch.version);
          this.#applied = batch.version;
          failures = 0;
        }
      } catch {
        failures++;
      }
      if (signal.aborted) return;
      this.#drop();
      this.#resets++;
      await pause(Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** Math.min(failures, 6)), signal);
    }
  }

  /** #begin starts an epoch whose watch runs from `version` of `history`. */
  #begin(version: number, history: string | undefined): void {
    this.#drop();
    // Versions of another history are not comparable with this one's: the floor starts again.
    if (history !== this.#history) this.#floor = 0;
    this.#history = history;
    this.#applied = version;
    this.#watching = true;
  }
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
