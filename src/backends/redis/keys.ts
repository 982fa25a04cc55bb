/**
 * The Redis key layout. Every key of one lock, and every key of one dict, carries the same hash
 * tag `{<name>}`, so each script touches one slot and Redis Cluster works. Names are
 * percent-escaped (`%`, `{`, `}`) before they go between the braces, so no name can end its tag
 * early or open another; the prefix is checked to hold no brace at all.
 *
 * ```
 * <prefix>lock:{<name>}             hash  t = token, o = owner, f = fence     PX = the lease TTL
 * <prefix>lock:{<name>}:fence       string: last fence granted (INCR; never expires)
 * <prefix>lock:{<name>}:fenced-dicts set  dicts sent a write fenced by the lock (fence_issued.lua;
 *                                   clusters and composed clients only; never expires)
 * <prefix>lock:{<name>}:released    pub/sub channel, published by release
 * <prefix>dict:{<name>}:entries     hash  key -> "<version>:<expiresAt|>:<json>"
 * <prefix>dict:{<name>}:index       zset  key (score 0), for ordered prefix listing (ZRANGEBYLEX)
 * <prefix>dict:{<name>}:ttl         zset  key -> expiresAt ms, purged in bounded steps by dict scripts
 * <prefix>dict:{<name>}:meta        hash  v = the dict's revision, h = its history id (set with v 1)
 * <prefix>dict:{<name>}:fences      hash  lock name -> highest fence accepted
 * <prefix>dict:{<name>}:changes     stream, one entry per version, id "<version>-0"
 * <prefix>lock-index                zset  lock name -> expiry of its last grant (listing.ts; own slot)
 * <prefix>dict-names                zset  dict names ever written, score 0 (dict-names.ts; own slot)
 * <prefix>dict-expiry               zset  dict name -> when to sweep its expiries (expiry-sweep.ts; own slot)
 * ```
 */
import { InvalidArgumentError } from '../../errors.js';
import type { FenceScope } from '../../fence-scope.js';

/** DEFAULT_PREFIX is the key prefix when the URL gives none. */
export const DEFAULT_PREFIX = 'baton:';

/** LockKeys names the keys and channel of one lock. */
export interface LockKeys {
  readonly holder: string;
  readonly fence: string;
  readonly channel: string;
}

/** DictKeys names the keys of one dict, in the order every dict script takes them as KEYS[1..6]. */
export interface DictKeys {
  readonly all: readonly [string, string, string, string, string, string];
  /** entries is all[0], the one key dict_get.lua reads. */
  readonly entries: string;
}

/** escapeTag makes a name safe between hash-tag braces: `%`, `{` and `}` are percent-escaped. */
export function escapeTag(name: string): string {
  return name.replace(/[%{}]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** unescapeTag reverses escapeTag. */
export function unescapeTag(tag: string): string {
  return tag.replace(/%(25|7B|7D)/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}

/** taggedBase is `<prefix><kind>:{<escaped name>}`: the stem of every key of one lock, dict or pool. */
export function taggedBase(prefix: string, kind: string, name: string): string {
  return `${prefix}${kind}:{${escapeTag(name)}}`;
}

/** keysUnder names the keys `<base>:<suffix>` for `suffixes`, in their order (a dict's or a pool's KEYS). */
export function keysUnder<const S extends readonly string[]>(
  base: string,
  suffixes: S,
): { readonly [I in keyof S]: string } {
  return suffixes.map((s) => `${base}:${s}`) as { readonly [I in keyof S]: string };
}

/** DICT_SUFFIXES are the suffixes of a dict's keys, in the order of dict_lib.lua's KEYS[1..6]. */
const DICT_SUFFIXES = ['entries', 'index', 'ttl', 'meta', 'fences', 'changes'] as const;

/** checkPrefix validates a key prefix: any text without braces (they would capture the hash tag). */
export function checkPrefix(prefix: string): string {
  if (/[{}]/.test(prefix)) {
    throw new InvalidArgumentError(
      `redis key prefix must not contain { or } (got ${JSON.stringify(prefix)})`,
    );
  }
  return prefix;
}

/** KeyLayout builds the keys of locks and dicts under one prefix. */
export class KeyLayout {
  readonly prefix: string;

  constructor(prefix: string) {
    this.prefix = checkPrefix(prefix);
  }

  /** lockIndex is the lock index's key (listing.ts): no hash tag, so a slot of its own in a cluster. */
  get lockIndex(): string {
    return `${this.prefix}lock-index`;
  }

  /** lock returns the keys of lock `name`. */
  lock(name: string): LockKeys {
    const holder = taggedBase(this.prefix, 'lock', name);
    return { holder, fence: `${holder}:fence`, channel: `${holder}:released` };
  }

  /**
   * fenceCounter is the issued-fence counter of a fence scope: the lock's, or for a semaphore or
   * rwlock `<prefix><kind>:{<name>}:fence` (pool-keys.ts lays out the same key).
   */
  fenceCounter(scope: FenceScope): string {
    return `${this.#scopeBase(scope)}:fence`;
  }

  /**
   * fencedDicts is the set of dicts sent a write fenced by a scope (fence_issued.lua), beside the
   * scope's counter in its slot: `<prefix>lock:{<name>}:fenced-dicts`, or the pool's.
   */
  fencedDicts(scope: FenceScope): string {
    return `${this.#scopeBase(scope)}:fenced-dicts`;
  }

  /** #scopeBase is the stem of a fence scope's keys: the lock's holder key, or the pool's base. */
  #scopeBase(scope: FenceScope): string {
    return taggedBase(this.prefix, scope.kind, scope.name);
  }

  /** lockName recovers the lock name from a holder key, or undefined for another key. */
  lockName(holderKey: string): string | undefined {
    const head = `${this.prefix}lock:{`;
    if (!holderKey.startsWith(head) || !holderKey.endsWith('}')) return undefined;
    const tag = holderKey.slice(head.length, -1);
    return /[{}]/.test(tag) ? undefined : unescapeTag(tag);
  }

  /** dict returns the keys of dict `name`. */
  dict(name: string): DictKeys {
    const all = keysUnder(taggedBase(this.prefix, 'dict', name), DICT_SUFFIXES);
    return { entries: all[0], all };
  }
}
