/**
 * Keys: the etcd key layout of one baton store, under a configurable prefix P (`?prefix=`,
 * default `baton`). Every key is built here and nowhere else.
 *
 *   P/locks/<name>/<id>              one contender of lock <name>; id = sha256(token)[0..32] hex;
 *                                    on the contender's lease; the oldest (lowest create
 *                                    revision) holds the lock, its create revision is the fence
 *   P/fences/<name>                  the last fence granted for <name> ('' = this key's mod revision)
 *   P/dicts/<dict>/e/<key>           one dict entry (the user key's UTF-8 bytes, unescaped)
 *   P/dicts/<dict>/v                 touched by every mutation of <dict>: its mod revision is the
 *                                    dict's version, and watch uses it to tell deletes from expiries
 *   P/dicts/<dict>/f/<lock>/<fence>  the highest fence of <lock> accepted by <dict> (16 digits,
 *                                    zero-padded, so byte order is numeric order)
 *   P/dictnames/<dict>               exists once <dict> was written (lists dicts without a scan)
 *
 * Semaphore and read-write lock pools have their own layout beside these: pool-keys.ts.
 *
 * Names are escaped (`%` and `/` as %XX) so that no name's range contains another's: lock and
 * dict names are validated to exclude `/` anyway, and the separator after each name closes its
 * range (dict `a` is `P/dicts/a/…`, dict `ab` is `P/dicts/ab/…`). Dict keys need no escaping:
 * they are the last path segment, etcd keys are bytes, and a key has no NUL, so `key + "\0"` is
 * the next possible key (used for cursors).
 */
import { createHash } from 'node:crypto';
import type { FenceScope } from '../../fence-scope.js';

/** FENCE_DIGITS is the width of a zero-padded fence; 16 digits hold every safe integer. */
const FENCE_DIGITS = 16;

/** escapeName makes a lock, dict or pool name safe as one path segment. */
export function escapeName(name: string): string {
  return name.replace(/[%/]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** unescapeName reverses escapeName. */
export function unescapeName(segment: string): string {
  return segment.replace(/%(25|2F)/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}

/** prefixEnd is the first key after every key that starts with `prefix` (etcd's range_end for a prefix). */
export function prefixEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i]!++;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]); // all 0xff: the range is everything from prefix on
}

/** padFence renders a fence so that byte order equals numeric order. */
export function padFence(fence: number): string {
  return String(fence).padStart(FENCE_DIGITS, '0');
}

/** tokenId is the contender id of a lock token: a hash, so etcd never stores the token itself. */
export function tokenId(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex').slice(0, 32);
}

/** Keys builds every etcd key of one store prefix. */
export class Keys {
  readonly #root: string;

  /** @param prefix the store prefix, without a trailing slash. */
  constructor(prefix: string) {
    this.#root = `${prefix}/`;
  }

  /** lockDir is the prefix of every contender of lock `name`. */
  lockDir(name: string): Buffer {
    return Buffer.from(`${this.#root}locks/${escapeName(name)}/`);
  }

  /** lockKey is the contender key of `token` on lock `name`. */
  lockKey(name: string, token: string): Buffer {
    return Buffer.from(`${this.#root}locks/${escapeName(name)}/${tokenId(token)}`);
  }

  /** locksFrom is the prefix of every contender of every lock whose name starts with `namePrefix`. */
  locksFrom(namePrefix: string): Buffer {
    return Buffer.from(`${this.#root}locks/${escapeName(namePrefix)}`);
  }

  /** lockNameOf extracts the lock name from a contender key. */
  lockNameOf(key: Buffer): string {
    const rest = key.toString('utf8').slice(`${this.#root}locks/`.length);
    return unescapeName(rest.slice(0, rest.indexOf('/')));
  }

  /** fenceRecord is where the last granted fence of lock `name` is recorded. */
  fenceRecord(name: string): Buffer {
    return Buffer.from(`${this.#root}fences/${escapeName(name)}`);
  }

  /**
   * issuedFenceRecord is the last-granted-fence record of a fence scope: `P/fences/<name>` for a
   * lock, `P/poolfences/<kind>/<name>` for a semaphore or rwlock (as pool-keys.ts lays it out).
   */
  issuedFenceRecord(scope: FenceScope): Buffer {
    if (scope.kind === 'lock') return this.fenceRecord(scope.name);
    return Buffer.from(`${this.#root}poolfences/${scope.kind}/${escapeName(scope.name)}`);
  }

  /** dictDir is the prefix of everything of dict `dict` (entries, version marker, fences). */
  dictDir(dict: string): Buffer {
    return Buffer.from(`${this.#root}dicts/${escapeName(dict)}/`);
  }

  /** entryDir is the prefix of the entries of `dict`. */
  entryDir(dict: string): Buffer {
    return Buffer.concat([this.dictDir(dict), Buffer.from('e/')]);
  }

  /** entryKey is the etcd key of entry `key` of `dict`. */
  entryKey(dict: string, key: string): Buffer {
    return Buffer.concat([this.entryDir(dict), Buffer.from(key, 'utf8')]);
  }

  /** versionKey is the marker every mutation of `dict` rewrites; its mod revision is the dict's version. */
  versionKey(dict: string): Buffer {
    return Buffer.concat([this.dictDir(dict), Buffer.from('v')]);
  }

  /** fenceDir is the prefix of the accepted-fence keys of `lock` in `dict`. */
  fenceDir(dict: string, lock: string): Buffer {
    return Buffer.concat([this.dictDir(dict), Buffer.from(`f/${escapeName(lock)}/`)]);
  }

  /** fenceKey is the accepted-fence key of `fence` for `lock` in `dict`. */
  fenceKey(dict: string, lock: string, fence: number): Buffer {
    return Buffer.concat([this.fenceDir(dict, lock), Buffer.from(padFence(fence))]);
  }

  /** dictNames is the prefix of the dict registry. */
  dictNames(namePrefix = ''): Buffer {
    return Buffer.from(`${this.#root}dictnames/${escapeName(namePrefix)}`);
  }

  /** dictNameKey registers that `dict` was written. */
  dictNameKey(dict: string): Buffer {
    return this.dictNames(dict);
  }

  /** dictNameOf extracts the dict name from a registry key. */
  dictNameOf(key: Buffer): string {
    return unescapeName(key.toString('utf8').slice(`${this.#root}dictnames/`.length));
  }

  /** pingKey is read by ping (it never exists). */
  pingKey(): Buffer {
    return Buffer.from(`${this.#root}ping`);
  }
}
