/**
 * RedlockListing: held Redlock locks listed without a keyspace scan. Each master keeps the Redis
 * backend's lock index (redis/listing.ts) for the locks it granted; the lock client writes the
 * entry on every master after a quorum grant and after each extension, and waits until a quorum
 * wrote it (or could not). A listing reads the index of every master and needs a quorum of
 * answers: a lock whose entry reached a quorum of masters is then always among the names read
 * (two quorums meet). Each name is checked with the quorum inspect (inspect.ts), so only locks a
 * quorum agrees are held are listed; names found free are dropped from each master's index where
 * their entry is unchanged since it was read.
 *
 * How it fails: `list` rejects with BackendUnavailableError when fewer than a quorum of masters
 * answer (reading, or inspecting a name). `touch` never rejects: an entry that reached fewer than a
 * quorum of masters may leave the lock out of some listings until its next extension.
 */
import type { ListFilter } from '../../list-filter.js';
import type { LockInfo } from '../../locks/backend.js';
import { checkNames, type IndexEntry, LockIndex } from '../redis/listing.js';
import { inspectLock } from './inspect.js';
import type { Redlock } from './ops.js';
import { count, gather, noQuorum } from './quorum.js';

/** RedlockListing keeps and reads the lock index on a Redlock's masters. */
export class RedlockListing {
  readonly #r: Redlock;
  readonly #index: LockIndex;

  constructor(redlock: Redlock) {
    this.#r = redlock;
    this.#index = new LockIndex(redlock.layout.prefix);
  }

  /** touch records a grant or extension of `name` on every master (see the module comment); never rejects. */
  async touch(name: string, ttlMs: number): Promise<void> {
    const r = this.#r;
    const n = r.masters.length;
    await gather(
      n,
      (i) => r.masters[i]!.withScripts((s) => this.#index.touch(s, name, ttlMs)),
      (o) => count(o, (x) => x.ok) >= r.quorum || count(o, (x) => !x.ok) > n - r.quorum,
    );
  }

  /** list returns up to `limit` (default 1000) locks held by a quorum whose names start with `prefix`, by name. */
  async list(options: ListFilter = {}): Promise<LockInfo[]> {
    const r = this.#r;
    const n = r.masters.length;
    const read = await gather(n, (i) =>
      r.masters[i]!.withScripts((s) => this.#index.read(s, options.prefix ?? '')),
    );
    if (count(read, (x) => x.ok) < r.quorum) throw noQuorum('list', read, r.quorum);
    const names: string[] = [];
    for (const x of read) if (x?.ok) for (const e of x.value) names.push(e.name);
    const { held, free } = await checkNames(names, options.limit ?? 1000, (name) => inspectLock(r, name));
    const freed = new Set(free);
    await gather(n, async (i) => {
      const x = read[i];
      const stale: IndexEntry[] = x?.ok ? x.value.filter((e) => freed.has(e.name)) : [];
      if (stale.length > 0) await r.masters[i]!.withScripts((s) => this.#index.prune(s, stale));
    });
    return held;
  }
}
