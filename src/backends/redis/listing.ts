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
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BackendUnavailableError } from '../../errors.js';
import type { LockInfo } from '../../locks/backend.js';
import { byteOrder } from '../common/byte-order.js';
import type { AnyClient } from './client.js';
import { translateError } from './errors.js';

/** GRACE_MS is how long after its recorded expiry an entry is dropped without being checked. */
export const GRACE_MS = 60_000;

/** INSPECT_BATCH is how many names a listing inspects at once. */
const INSPECT_BATCH = 100;

/** IndexEntry is one entry of the lock index as read: the name and its score as Redis wrote it. */
export interface IndexEntry {
  readonly name: string;
  readonly score: string;
}

const SCRIPTS = {
  touch: 'listing_touch.lua',
  prune: 'listing_prune.lua',
} as const;
/** PRELUDES are the files a script's body follows: listing_touch.lua calls index_lib's touch_index. */
const PRELUDES: Partial<Record<keyof typeof SCRIPTS, string>> = { touch: 'index_lib.lua' };
type ListingScript = keyof typeof SCRIPTS;
type ScriptFn = (...args: Array<string | number>) => Promise<unknown>;

let sources: Map<ListingScript, string> | undefined;
const registered = new WeakSet<AnyClient>();

/** loadSources reads the two scripts (with their preludes), from `src/` or from `dist/` (as scripts.ts does). */
function loadSources(): Map<ListingScript, string> {
  if (sources) return sources;
  const candidates = [
    new URL('./scripts/', import.meta.url),
    new URL('../../../src/backends/redis/scripts/', import.meta.url),
  ].map((u) => fileURLToPath(u));
  const dir = candidates.find((d) => existsSync(`${d}${SCRIPTS.touch}`));
  if (!dir) {
    throw new BackendUnavailableError(`redis listing scripts not found (looked in ${candidates.join(', ')})`);
  }
  const loaded = new Map<ListingScript, string>();
  for (const name of Object.keys(SCRIPTS) as ListingScript[]) {
    const prelude = PRELUDES[name] ? `${readFileSync(`${dir}${PRELUDES[name]}`, 'utf8')}\n` : '';
    loaded.set(name, `${prelude}${readFileSync(`${dir}${SCRIPTS[name]}`, 'utf8')}`);
  }
  sources = loaded;
  return loaded;
}

/** run calls one listing script on `client`, registering both on first use. */
async function run(client: AnyClient, name: ListingScript, key: string, args: Array<string | number>) {
  if (!registered.has(client)) {
    for (const [script, lua] of loadSources()) {
      client.defineCommand(`batonListingV1_${script}`, { lua, numberOfKeys: 1 });
    }
    registered.add(client);
  }
  const fn = (client as unknown as Record<string, ScriptFn>)[`batonListingV1_${name}`]!;
  return fn.call(client, key, ...args);
}

/** LockIndex is the index of one key prefix, on whichever client it is given. */
export class LockIndex {
  /** key is the sorted set's name; it carries no hash tag, so in a cluster it has a slot of its own. */
  readonly key: string;

  constructor(prefix: string) {
    this.key = `${prefix}lock-index`;
  }

  /** touch records a grant or extension of `name` for `ttlMs`. Rejects with BackendUnavailableError. */
  async touch(client: AnyClient, name: string, ttlMs: number): Promise<void> {
    try {
      await run(client, 'touch', this.key, [name, ttlMs, scoreFraction(), GRACE_MS]);
    } catch (err) {
      throw translateError(err);
    }
  }

  /** read returns the entries whose names start with `namePrefix`. Rejects with BackendUnavailableError. */
  async read(client: AnyClient, namePrefix: string): Promise<IndexEntry[]> {
    let flat: string[];
    try {
      flat = await client.zrange(this.key, 0, -1, 'WITHSCORES');
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
  async prune(client: AnyClient, entries: readonly IndexEntry[]): Promise<void> {
    for (let i = 0; i < entries.length; i += INSPECT_BATCH) {
      const args = entries.slice(i, i + INSPECT_BATCH).flatMap((e) => [e.name, e.score]);
      await run(client, 'prune', this.key, args).catch(() => undefined);
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

/** scoreFraction is the random part of an index score (see index_lib.lua): text such as "0.417". */
export function scoreFraction(): string {
  return (Math.floor(Math.random() * 1000) / 1000).toFixed(3);
}

/** RedisLockListing lists the held locks of one Redis (single node, sentinel or cluster) through the index. */
export class RedisLockListing {
  readonly #client: AnyClient;
  readonly #index: LockIndex;
  readonly #inspect: (name: string) => Promise<LockInfo>;

  constructor(client: AnyClient, prefix: string, inspect: (name: string) => Promise<LockInfo>) {
    this.#client = client;
    this.#index = new LockIndex(prefix);
    this.#inspect = inspect;
  }

  /** key is the index's key, for the lock scripts that write it themselves (see the module comment). */
  get key(): string {
    return this.#index.key;
  }

  /** touch records a grant or extension; best effort (see the module comment), never rejects. */
  async touch(name: string, ttlMs: number): Promise<void> {
    await this.#index.touch(this.#client, name, ttlMs).catch(() => undefined);
  }

  /** list returns up to `limit` (default 1000) held locks whose names start with `prefix`, by name. */
  async list(options: { prefix?: string; limit?: number } = {}): Promise<LockInfo[]> {
    const entries = await this.#index.read(this.#client, options.prefix ?? '');
    const { held, free } = await checkNames(
      entries.map((e) => e.name),
      options.limit ?? 1000,
      this.#inspect,
    );
    const freed = new Set(free);
    await this.#index.prune(
      this.#client,
      entries.filter((e) => freed.has(e.name)),
    );
    return held;
  }
}
