/**
 * The Redis key layout of semaphores and read-write locks (leased-permit pools), beside keys.ts's
 * locks and dicts. One namespace per backend object: `semaphore` or `rwlock`, so a semaphore and
 * an rwlock of one name never share a key. Every key of one pool carries the hash tag
 * `{<escaped name>}` (escaped as in keys.ts), so each pool script touches one slot and works on
 * Redis Cluster. The listing index carries no tag: in a cluster it lives in a slot of its own and
 * is written by the client after the pool's script (see semaphores.ts).
 *
 * ```
 * <prefix><ns>:{<name>}:holders    hash  token -> "<count>:<fence>:<0|1><owner>"
 * <prefix><ns>:{<name>}:expiry     zset  token -> holder's expiresAt (ms, server clock)
 * <prefix><ns>:{<name>}:queue      zset  token -> arrival number (FIFO)
 * <prefix><ns>:{<name>}:waiters    hash  token -> count asked for
 * <prefix><ns>:{<name>}:deadlines  zset  token -> queue deadline (ms), refreshed by the waiter
 * <prefix><ns>:{<name>}:meta       hash  p = permits, u = used, l:<token> = holder TTL
 * <prefix><ns>:{<name>}:fence      string: last fence granted (INCR; never expires)
 * <prefix><ns>:{<name>}:wake       pub/sub channel: "the queue's head may go now"
 * <prefix><ns>:index               zset  pool name -> latest holder expiry known (ms)
 * ```
 *
 * All pool keys but the fence counter expire together when the pool's last holder and waiter
 * are due (PEXPIREAT, set by every pool script), so an abandoned pool leaves only its counter.
 */
import { checkPrefix, keysUnder, taggedBase } from './keys.js';

/** POOL_SUFFIXES are the suffixes of a pool's keys, in the order of sem_lib.lua's KEYS[1..7]. */
const POOL_SUFFIXES = ['holders', 'expiry', 'queue', 'waiters', 'deadlines', 'meta', 'fence'] as const;

/** PoolNamespace names the two kinds of pool. */
export type PoolNamespace = 'semaphore' | 'rwlock';

/** PoolKeys names the keys of one pool, in the order every sem_* script takes them (KEYS[1..7]). */
export interface PoolKeys {
  readonly all: readonly [string, string, string, string, string, string, string];
  readonly channel: string;
}

/** PoolKeyLayout builds the keys of the pools of one namespace under one prefix. */
export class PoolKeyLayout {
  readonly prefix: string;
  readonly namespace: PoolNamespace;
  /** index is the namespace's listing index (no hash tag). */
  readonly index: string;

  constructor(prefix: string, namespace: PoolNamespace) {
    this.prefix = checkPrefix(prefix);
    this.namespace = namespace;
    this.index = `${this.prefix}${namespace}:index`;
  }

  /** pool returns the keys and wake channel of pool `name`. */
  pool(name: string): PoolKeys {
    const base = taggedBase(this.prefix, this.namespace, name);
    return { all: keysUnder(base, POOL_SUFFIXES), channel: `${base}:wake` };
  }
}
