/**
 * Holder records: what a contender key of a lock stores (its owner label and the TTL of its
 * lease). Kept apart so the acquire path (contender.ts, through queue-layout.ts) and the inspect
 * path read and write the same format; the fence record is fence-record.ts's.
 */
import type { IKeyValue } from 'etcd3';

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
