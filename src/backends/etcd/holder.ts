/**
 * Holder records: what a contender key of a lock stores (its owner label and the TTL of its
 * lease), and how the last granted fence is recorded. Kept apart so the acquire path and the
 * inspect path read and write the same format.
 */
import type { IKeyValue } from 'etcd3';
import { padFence } from './keys.js';

/** HolderValue is the JSON stored in a contender key. */
export interface HolderValue {
  /** owner is the label given to acquire, if any. */
  readonly owner?: string | undefined;
  /** ttlSeconds is the TTL of the lease the key is on. */
  readonly ttlSeconds: number;
}

/** encodeHolder renders a contender key's value. */
export function encodeHolder(value: HolderValue): string {
  return JSON.stringify(
    value.owner === undefined ? { t: value.ttlSeconds } : { o: value.owner, t: value.ttlSeconds },
  );
}

/** decodeHolder reads a contender key's value; unknown shapes read as no owner and a 0 TTL. */
export function decodeHolder(kv: IKeyValue): HolderValue {
  try {
    const parsed: unknown = JSON.parse(kv.value.toString('utf8'));
    if (parsed !== null && typeof parsed === 'object') {
      const o = 'o' in parsed && typeof parsed.o === 'string' ? parsed.o : undefined;
      const t = 't' in parsed && typeof parsed.t === 'number' ? parsed.t : 0;
      return { owner: o, ttlSeconds: t };
    }
  } catch {
    // fall through
  }
  return { ttlSeconds: 0 };
}

/**
 * FENCE_IS_MOD_REVISION is the fence record's value when it was written by the transaction that
 * created the holder's key: the fence is then the record's own mod revision (which a client
 * cannot know before the transaction runs).
 */
export const FENCE_IS_MOD_REVISION = '';

/** fenceRecordValue renders a fence known in advance. */
export function fenceRecordValue(fence: number): string {
  return padFence(fence);
}

/** decodeFenceRecord reads the last granted fence from its record (0 when there is none). */
export function decodeFenceRecord(kv: IKeyValue | undefined): number {
  if (!kv) return 0;
  const text = kv.value.toString('utf8');
  return text === FENCE_IS_MOD_REVISION ? Number(kv.mod_revision) : Number(text);
}
