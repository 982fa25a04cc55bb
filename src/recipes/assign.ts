/**
 * assignPartitions: which member of a group owns which partition, computed from the member ids
 * alone by a documented function, so a worker in any language computes the same assignment.
 *
 * The function (capacity-bounded rendezvous hashing, "highest random weight"):
 *  1. score(p, m) = the first 8 bytes of SHA-256 of the UTF-8 text `${p}:${m}` (p in decimal),
 *     read as a big-endian unsigned 64-bit integer.
 *  2. With n distinct members, every member owns base = floor(count / n) partitions, and
 *     extra = count mod n of them own one more (so loads differ by at most one).
 *  3. Take every pair (p, m) in order of score descending, then member id ascending (ids are
 *     ASCII, compared byte by byte), then partition ascending. Give p to m when p has no owner
 *     yet and m owns fewer than base, or owns exactly base while fewer than `extra` members own
 *     base + 1. Every partition gets an owner.
 * Like plain rendezvous hashing it is sticky: a join or a leave moves about count / n partitions.
 */
import { createHash } from 'node:crypto';
import { InvalidArgumentError } from '../errors.js';
import { assertCount, preview } from '../validation.js';

/** MAX_PARTITIONS is the most partitions a group may be split into. */
export const MAX_PARTITIONS = 4096;

/** MEMBER_ID_RE is what a member id may be: 1-64 of A-Z a-z 0-9 . _ : - */
const MEMBER_ID_RE = /^[A-Za-z0-9._:-]{1,64}$/;

/** assertMemberId checks a member id: 1-64 characters of A-Z a-z 0-9 . _ : - */
export function assertMemberId(id: unknown): string {
  if (typeof id !== 'string' || !MEMBER_ID_RE.test(id)) {
    throw new InvalidArgumentError(
      `member id must be 1-64 characters of A-Z a-z 0-9 . _ : - (got ${preview(id)})`,
    );
  }
  return id;
}

/** partitionScore is the rendezvous score of `memberId` for `partition` (step 1 above). */
export function partitionScore(partition: number, memberId: string): bigint {
  return createHash('sha256').update(`${partition}:${memberId}`, 'utf8').digest().readBigUInt64BE(0);
}

/**
 * assignPartitions returns, for each partition 0..count-1, the id of the member that owns it
 * (or an empty array's worth of undefined when there are no members). InvalidArgumentError for a
 * count outside 1..MAX_PARTITIONS or a bad member id. Costs count × members hashes and a sort.
 */
export function assignPartitions(count: number, memberIds: readonly string[]): Array<string | undefined> {
  assertCount(count, MAX_PARTITIONS, 'partition count');
  const ids = [...new Set(memberIds.map(assertMemberId))].sort(byBytes);
  const owners: Array<string | undefined> = new Array(count).fill(undefined);
  if (ids.length === 0) return owners;
  const pairs: Array<{ p: number; m: number; score: bigint }> = [];
  for (let p = 0; p < count; p++) {
    for (let m = 0; m < ids.length; m++) pairs.push({ p, m, score: partitionScore(p, ids[m] as string) });
  }
  // ids are sorted, so the member index orders like the member id.
  pairs.sort((a, b) => (a.score > b.score ? -1 : a.score < b.score ? 1 : a.m - b.m || a.p - b.p));
  const base = Math.floor(count / ids.length);
  const extra = count % ids.length;
  const load = new Array<number>(ids.length).fill(0);
  let big = 0;
  let left = count;
  for (const { p, m } of pairs) {
    if (owners[p] !== undefined) continue;
    const l = load[m] as number;
    if (l < base || (l === base && big < extra)) {
      owners[p] = ids[m];
      load[m] = l + 1;
      if (l + 1 === base + 1) big++;
      if (--left === 0) break;
    }
  }
  return owners;
}

/** byBytes orders ASCII strings byte by byte. */
function byBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
