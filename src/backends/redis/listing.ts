/**
 * The lock index: how the Redis backend (and Redlock, on each master) lists held locks without
 * scanning the keyspace. One sorted set per key prefix, `<prefix>lock-index`, maps each lock name
 * to the expiry of its latest grant or extension (ms by that server's clock, plus a random
 * fraction so two grants of one lock rarely share a score). The holder keys stay the truth; the
 * index only says which names to look at:
 *
 * - A grant or an extension writes the entry (`index_lib.lua`), which also drops entries whose
 *   expiry passed more than GRACE_MS ago. On a single Redis (or one behind sentinels) the lock's
 *   own script does it, in the same step as the grant. In Redis Cluster the index lives in its
 *   own hash slot, not the lock's, so the client runs `listing_touch.lua` beside the lock's script
 *   instead (and on every master for Redlock).
 * - A release does not touch the index (removing the name could race with the next holder's
 *   entry); a reader does instead. `list` reads the index, inspects each name it needs, returns
 *   the held ones and drops the free ones — each only if its score is still the one it read
 *   (`listing_prune.lua`), so a grant made meanwhile keeps its entry.
 *
 * So the cost of listing is the number of locks held or released since the last listing (plus
 * those within GRACE_MS of their expiry), never the size of the keyspace.
 *
 * How it fails: `read` and `list` reject with BackendUnavailableError when Redis cannot answer.
 * Index writes are best effort: if one fails, the lock is granted all the same and is missing
 * from listings until its next extension writes the entry again (a lease that auto-extends does
 * so within half its TTL). A touch delayed past a later one can leave a lower score behind, which
 * only matters if it then falls GRACE_MS behind the clock while the lock is still held.
 */
import type { ListFilter } from '../../list-filter.js';
import type { LockInfo } from '../../locks/backend.js';
import { byteOrder } from '../common/byte-order.js';
import { translateError } from './errors.js';
import { KeyLayout } from './keys.js';
import { GRACE_MS, LISTING_PRUNE, LISTING_TOUCH } from './script-defs.js';
import type { Scripts } from './scripts.js';

export { GRACE_MS };

/** INSPECT_BATCH is how many names a listing inspects at once. */
const INSPECT_BATCH = 100;

/** IndexEntry is one entry of the lock index as read: the name and its score as Redis wrote it. */
export interface IndexEntry {
  readonly name: string;
  readonly score: string;
}

/** LockIndex is the index of one key prefix, on whichever client it is given. */
export class LockIndex {
  /** key is the sorted set's name; it carries no hash tag, so in a cluster it has a slot of its own. */
  readonly key: string;

  constructor(prefix: string) {
    this.key = new KeyLayout(prefix).lockIndex;
  }

  /** touch records a grant or extension of `name` for `ttlMs`. Rejects with BackendUnavailableError. */
  async touch(scripts: Scripts, name: string, ttlMs: number): Promise<void> {
    await scripts.call(LISTING_TOUCH, { index: this.key, name, ttlMs });
  }

  /** read returns the entries whose names start with `namePrefix`. Rejects with BackendUnavailableError. */
  async read(scripts: Scripts, namePrefix: string): Promise<IndexEntry[]> {
    let flat: string[];
    try {
      flat = await scripts.client.zrange(this.key, 0, -1, 'WITHSCORES');
    } catch (err) {
      throw translateError(err);
    }
    const out: IndexEntry[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) {
      const name = flat[i]!;
      if (name.startsWith(namePrefix)) out.push({ name, score: flat[i + 1]! });
    }
    return out;
  }

  /** prune drops `entries` whose scores are unchanged; best effort (never rejects). */
  async prune(scripts: Scripts, entries: readonly IndexEntry[]): Promise<void> {
    for (let i = 0; i < entries.length; i += INSPECT_BATCH) {
      const batch = entries.slice(i, i + INSPECT_BATCH);
      await scripts.call(LISTING_PRUNE, { index: this.key, entries: batch }).catch(() => undefined);
    }
  }
}

/**
 * checkNames inspects `names` in byte order, INSPECT_BATCH at a time, until `limit` held locks are
 * found: it returns those and the names it found free. Rejects as `inspect` does.
 */
export async function checkNames(
  names: Iterable<string>,
  limit: number,
  inspect: (name: string) => Promise<LockInfo>,
): Promise<{ held: LockInfo[]; free: string[] }> {
  const sorted = [...new Set(names)].sort(byteOrder);
  const held: LockInfo[] = [];
  const free: string[] = [];
  for (let i = 0; i < sorted.length && held.length < limit; i += INSPECT_BATCH) {
    const infos = await Promise.all(sorted.slice(i, i + INSPECT_BATCH).map(inspect));
    for (const info of infos) {
      if (!info.held) free.push(info.name);
      else if (held.length < limit) held.push(info);
    }
  }
  return { held, free };
}

/** RedisLockListing lists the held locks of one Redis (single node, sentinel or cluster) through the index. */
export class RedisLockListing {
  readonly #scripts: Scripts;
  readonly #index: LockIndex;
  readonly #inspect: (name: string) => Promise<LockInfo>;

  constructor(scripts: Scripts, prefix: string, inspect: (name: string) => Promise<LockInfo>) {
    this.#scripts = scripts;
    this.#index = new LockIndex(prefix);
    this.#inspect = inspect;
  }

  /** touch records a grant or extension; best effort (see the module comment), never rejects. */
  async touch(name: string, ttlMs: number): Promise<void> {
    await this.#index.touch(this.#scripts, name, ttlMs).catch(() => undefined);
  }

  /** list returns up to `limit` (default 1000) held locks whose names start with `prefix`, by name. */
  async list(options: ListFilter = {}): Promise<LockInfo[]> {
    const entries = await this.#index.read(this.#scripts, options.prefix ?? '');
    const { held, free } = await checkNames(
      entries.map((e) => e.name),
      options.limit ?? 1000,
      this.#inspect,
    );
    const freed = new Set(free);
    await this.#index.prune(
      this.#scripts,
      entries.filter((e) => freed.has(e.name)),
    );
    return held;
  }
}
