/**
 * Pool records: what a semaphore contender key stores and the rule that says which contenders
 * hold permits. Kept apart so the acquire path (contender.ts, through queue-layout.ts) and the
 * read paths (semaphores.ts) share one format and one rule.
 *
 * The rule: contenders are queued by create revision; one holds its permits when the counts of
 * every contender up to and including it add up to at most the pool's permits. The holders are
 * therefore always a prefix of the queue (FIFO, head-of-line), and the head always holds.
 */
import type { IKeyValue } from 'etcd3';
import { MAX_PERMITS } from '../../locks/semaphore-backend.js';
import { revisionOf } from './txn.js';

/** PoolValue is the JSON stored in a pool contender key. */
export interface PoolValue {
  /** permits is the pool size this contender asked for (equal for every contender in the pool). */
  readonly permits: number;
  /** count is how many permits it takes. */
  readonly count: number;
  /** owner is the label given to acquire, if any. */
  readonly owner?: string | undefined;
  /** ttlSeconds is the TTL of the lease the key is on. */
  readonly ttlSeconds: number;
  /** granted is set by the contender once it has seen itself hold permits (extend requires it). */
  readonly granted: boolean;
}

/** encodePoolValue renders a contender key's value. */
export function encodePoolValue(v: PoolValue): string {
  return JSON.stringify({
    p: v.permits,
    c: v.count,
    t: v.ttlSeconds,
    ...(v.owner === undefined ? {} : { o: v.owner }),
    ...(v.granted ? { g: 1 } : {}),
  });
}

/**
 * decodePoolValue reads a contender key's value. An unreadable value reads as a count larger
 * than any pool (so it holds back everyone behind it rather than letting them exceed the pool).
 */
export function decodePoolValue(kv: IKeyValue): PoolValue {
  try {
    const o: unknown = JSON.parse(kv.value.toString('utf8'));
    if (o !== null && typeof o === 'object' && 'c' in o && typeof o.c === 'number') {
      return {
        permits: 'p' in o && typeof o.p === 'number' ? o.p : 0,
        count: o.c,
        owner: 'o' in o && typeof o.o === 'string' ? o.o : undefined,
        ttlSeconds: 't' in o && typeof o.t === 'number' ? o.t : 0,
        granted: 'g' in o && o.g === 1,
      };
    }
  } catch {
    // fall through
  }
  return { permits: 0, count: MAX_PERMITS + 1, ttlSeconds: 0, granted: false };
}

/** Contender is one decoded contender key. */
export interface PoolContenderKey {
  readonly kv: IKeyValue;
  readonly value: PoolValue;
  /** revision is the key's create revision: its place in the queue, and its fence once it holds. */
  readonly revision: number;
}

/** PoolState is a pool's queue split into holders and waiters by the rule in the file comment. */
export interface PoolState {
  /** permits is the pool's size (the head's), 0 when the pool has no contender. */
  readonly permits: number;
  readonly holders: readonly PoolContenderKey[];
  readonly waiting: number;
}

/** poolState applies the holding rule to a pool's contender keys (any order). */
export function poolState(kvs: readonly IKeyValue[]): PoolState {
  const queue = kvs
    .map((kv) => ({ kv, value: decodePoolValue(kv), revision: revisionOf(kv.create_revision) }))
    .sort((a, b) => a.revision - b.revision);
  const permits = queue[0]?.value.permits ?? 0;
  let used = 0;
  let held = 0;
  for (const c of queue) {
    if (used + c.value.count > permits) break;
    used += c.value.count;
    held++;
  }
  return { permits, holders: queue.slice(0, held), waiting: queue.length - held };
}
