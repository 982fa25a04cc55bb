/**
 * QueueLayout: how one kind of etcd queue is stored — the locks (keys.ts, holder.ts) or one
 * namespace of semaphore pools (pool-keys.ts, pool-record.ts). The queue algorithm itself
 * (contender.ts) and the holder operations (queues.ts) are one code for both: a lock is the
 * one-permit queue of a pool that takes one permit, stored in the lock's own layout.
 *
 * The two layouts differ only in what they store:
 * - a lock has no size record (its size is one) and its key holds the owner and the lease TTL;
 *   its holder is the oldest contender;
 * - a pool records its size beside its queue, and its key holds permits, count, owner, TTL and a
 *   granted mark that the contender sets once it holds (extend requires the mark).
 *
 * How it fails: never throws; an unreadable key decodes as pool-record.ts and holder.ts say.
 */
import type { IKeyValue } from 'etcd3';
import { decodeHolder, encodeHolder } from './holder.js';
import type { Keys } from './keys.js';
import type { PoolKeys } from './pool-keys.js';
import { decodePoolValue, encodePoolValue, type PoolValue } from './pool-record.js';

/** QueueEntry is what one contender key says of its contender (a lock's: one of one permit). */
export type QueueEntry = PoolValue;

/** QueueLayout is the storage of one kind of queue (see the file comment). */
export interface QueueLayout {
  /** kind names the queue in transactions (`lock acquire`, `semaphore extend`, …). */
  readonly kind: 'lock' | 'semaphore';
  /** waitingFor names what a waiter waits for, in the error a close gives it. */
  readonly waitingFor: string;
  /** marksGrant: a holder marks its key granted, and extend requires it; else the holder is the oldest. */
  readonly marksGrant: boolean;
  /** scope names queue `name` in errors: `semaphore/<name>`, `rwlock/<name>`, `lock/<name>`. */
  scope(name: string): string;
  /** dir is the prefix of every contender key of queue `name`. */
  dir(name: string): Buffer;
  /** contender is the key of `token`'s contender in queue `name`. */
  contender(name: string, token: string): Buffer;
  /** fence is the fence record of queue `name` (fence-record.ts). */
  fence(name: string): Buffer;
  /** size is the record of queue `name`'s permit count; undefined when it has none (a lock). */
  size(name: string): Buffer | undefined;
  encode(entry: QueueEntry): string;
  decode(kv: IKeyValue): QueueEntry;
}

/** lockLayout stores locks as keys.ts lays them out (`P/locks/<name>/<id>`, `P/fences/<name>`). */
export function lockLayout(keys: Keys): QueueLayout {
  return {
    kind: 'lock',
    waitingFor: 'a lock',
    marksGrant: false,
    scope: (name) => `lock/${name}`,
    dir: (name) => keys.lockDir(name),
    contender: (name, token) => keys.lockKey(name, token),
    fence: (name) => keys.fenceRecord(name),
    size: () => undefined,
    encode: (entry) => encodeHolder(entry),
    decode: (kv) => ({ permits: 1, count: 1, granted: false, ...decodeHolder(kv) }),
  };
}

/** poolLayout stores one namespace of pools as pool-keys.ts lays them out. */
export function poolLayout(keys: PoolKeys, namespace: 'semaphore' | 'rwlock'): QueueLayout {
  return {
    kind: 'semaphore',
    waitingFor: 'permits',
    marksGrant: true,
    scope: (name) => `${namespace}/${name}`,
    dir: (name) => keys.dir(name),
    contender: (name, token) => keys.contender(name, token),
    fence: (name) => keys.fence(name),
    size: (name) => keys.size(name),
    encode: (entry) => encodePoolValue(entry),
    decode: (kv) => decodePoolValue(kv),
  };
}
