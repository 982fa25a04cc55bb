/**
 * PoolKeys: the etcd key layout of one namespace of semaphore pools (`semaphore` or `rwlock`)
 * under the store prefix P, beside the lock and dict keys of keys.ts:
 *
 *   P/pools/<ns>/<name>/<id>       one contender of pool <name>; id = tokenId(token); on the
 *                                  contender's lease; value = pool-record.ts's JSON (permits,
 *                                  count, owner, lease TTL, granted flag). Queue order = create
 *                                  revision; a holder's create revision is its fence
 *   P/poolsizes/<ns>/<name>        the pool's permit count, written by the transaction that puts
 *                                  the first contender of an unused pool (no contender key)
 *   P/poolfences/<ns>/<name>       the last fence granted ('' = this key's mod revision)
 *
 * Contender keys have a prefix of their own, so `list` reads only pools in use; the two records
 * outlive their pool (like `P/fences/<name>` for locks) and are not listed. Names are escaped the
 * way keys.ts escapes them (`%` and `/` as %XX; validated names contain neither), and the `/`
 * after each name closes its range, so pool `a` never reads pool `ab`'s contenders.
 *
 * The prefix comes from the parsed URL (`EtcdSettings.prefix`), the same one `Keys` is built from.
 */
import { escapeName, tokenId, unescapeName } from './keys.js';

/** PoolKeys builds every etcd key of one pool namespace of one store prefix. */
export class PoolKeys {
  readonly #pools: string;
  readonly #sizes: string;
  readonly #fences: string;

  /**
   * @param prefix the store prefix, without a trailing slash.
   * @param namespace 'semaphore' or 'rwlock': the two never share a pool.
   */
  constructor(prefix: string, namespace: 'semaphore' | 'rwlock') {
    this.#pools = `${prefix}/pools/${namespace}/`;
    this.#sizes = `${prefix}/poolsizes/${namespace}/`;
    this.#fences = `${prefix}/poolfences/${namespace}/`;
  }

  /** dir is the prefix of every contender of pool `name`. */
  dir(name: string): Buffer {
    return Buffer.from(`${this.#pools}${escapeName(name)}/`);
  }

  /** contender is the key of `token`'s contender on pool `name`. */
  contender(name: string, token: string): Buffer {
    return Buffer.from(`${this.#pools}${escapeName(name)}/${tokenId(token)}`);
  }

  /** from is the prefix of every contender of every pool whose name starts with `namePrefix`. */
  from(namePrefix: string): Buffer {
    return Buffer.from(`${this.#pools}${escapeName(namePrefix)}`);
  }

  /** nameOf extracts the pool name from a contender key. */
  nameOf(key: Buffer): string {
    const rest = key.toString('utf8').slice(this.#pools.length);
    return unescapeName(rest.slice(0, rest.indexOf('/')));
  }

  /** size is the record of pool `name`'s permit count. */
  size(name: string): Buffer {
    return Buffer.from(`${this.#sizes}${escapeName(name)}`);
  }

  /** fence is the record of the last fence granted for pool `name`. */
  fence(name: string): Buffer {
    return Buffer.from(`${this.#fences}${escapeName(name)}`);
  }
}
