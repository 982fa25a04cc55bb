/**
 * Fence records: the last fence granted for a lock (`P/fences/<name>`, keys.ts) or a pool
 * (`P/poolfences/<ns>/<name>`, pool-keys.ts), one format for both. The record holds a
 * zero-padded fence, or '' when it was written by the transaction that created the first
 * contender of an unused queue: the fence is then the record's own mod revision (which a client
 * cannot know before the transaction runs). dict-commit.ts reads it to prove a fence was issued.
 *
 * How it fails: never throws; an unreadable record reads as `Number` makes of it.
 */
import { CompareResult, CompareTarget, type IKeyValue, type IRequestOp } from 'etcd3';
import { padFence } from './keys.js';
import { createIs, nested, put, revisionOf } from './txn.js';

/** FENCE_IS_MOD_REVISION is the record's value when the fence is the record's own mod revision. */
export const FENCE_IS_MOD_REVISION = '';

/** decodeFenceRecord reads the last granted fence from its record (0 when there is none). */
export function decodeFenceRecord(kv: IKeyValue | undefined): number {
  if (!kv) return 0;
  const text = kv.value.toString('utf8');
  return text === FENCE_IS_MOD_REVISION ? revisionOf(kv.mod_revision) : Number(text);
}

/**
 * recordFence is a transaction part that raises a fence record to `fence` unless it already
 * records more. Zero-padded fences compare in byte order as numbers, and '' (a record whose
 * fence is its own mod revision) compares below all of them: that record was written when the
 * queue had no other contender, so any contender still alive to record a fence came later and
 * has a larger one (see docs/SAFETY.md).
 */
export function recordFence(record: Buffer, fence: number): IRequestOp {
  const value = padFence(fence);
  return nested({
    compare: [createIs(record, 'equal', 0)],
    success: [put(record, value)],
    failure: [
      nested({
        compare: [
          { key: record, target: CompareTarget.Value, result: CompareResult.Less, value: Buffer.from(value) },
        ],
        success: [put(record, value)],
      }),
    ],
  });
}
