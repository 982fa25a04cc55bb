/**
 * The parts of B7 (scale) shared by its Redis half (scenarios/b7-scale.ts) and its memory half
 * (scale-memory.ts, a child process): filling dicts of 1k, 100k and 1M keys through baton's own
 * `batch`, the get/set contestants over them, and a lock cycle beside 10k other held locks.
 */

import type { Baton, Lease, SharedDict } from '../src/index.js';
import type { Contestant } from './measure.js';

/** CALLERS is how many concurrent callers each dict contestant has (as in B4). */
export const CALLERS = 32;
/** HELD is how many other locks are held while the lock cycle is measured. */
export const HELD = 10_000;
/** BATCH is the number of sets per fill batch (baton's MAX_BATCH_OPS). */
const BATCH = 100;
/** FILLERS is how many batches are in flight while filling. */
const FILLERS = 16;

/** Value is what every entry holds (the B4 value). */
export type Value = { readonly state: string; readonly n: number };

/** label names a size the way the table shows it: 1k, 100k, 1M. */
export function label(size: number): string {
  return size >= 1_000_000 ? `${size / 1_000_000}M` : `${size / 1000}k`;
}

/** fill writes keys k0 … k(size−1) into `dict` with `batch`, FILLERS batches at a time. */
export async function fill(dict: SharedDict<Value>, size: number): Promise<void> {
  let next = 0;
  const filler = async () => {
    while (next < size) {
      const from = next;
      next = Math.min(size, next + BATCH);
      const ops = [];
      for (let i = from; i < next; i++)
        ops.push({ op: 'set' as const, key: `k${i}`, value: { state: 'running', n: i } });
      await dict.batch(ops);
    }
  };
  await Promise.all(Array.from({ length: FILLERS }, filler));
}

/** DICT_OPS are the dict operations B7 measures at each size. */
export const DICT_OPS = ['get', 'set', 'delete+set'] as const;
export type DictOp = (typeof DICT_OPS)[number];

/**
 * dictContestants are, for each size, a get (or a set overwriting an existing key, so the size
 * stays) of a uniformly random key of that dict; or, for `delete+set`, each caller deleting its
 * own extra key and setting it again (a claim taken and given back: the same key leaves and
 * returns, which is what a hash table's deleted-entry handling makes slow or not).
 */
export function dictContestants(
  op: DictOp,
  dicts: ReadonlyArray<{ size: number; dict: SharedDict<Value> }>,
): Contestant[] {
  return dicts.map(({ size, dict }) => {
    const key = () => `k${Math.floor(Math.random() * size)}`;
    const value = { state: 'done', n: size };
    const run =
      op === 'get'
        ? () => dict.get(key())
        : op === 'set'
          ? () => dict.set(key(), value)
          : async (caller: number) => {
              await dict.delete(`claim${caller}`);
              await dict.set(`claim${caller}`, value);
            };
    return { name: `${label(size)} keys`, concurrency: CALLERS, op: run };
  });
}

/** holdLocks acquires `n` distinct locks on `baton` with a long TTL and returns their leases. */
export async function holdLocks(baton: Baton, n: number): Promise<Lease[]> {
  const leases: Lease[] = [];
  let next = 0;
  const taker = async () => {
    while (next < n) {
      const i = next++;
      leases.push(await baton.lock(`b7-held-${i}`, { ttlMs: 600_000 }).acquire({ waitMs: 0 }));
    }
  };
  await Promise.all(Array.from({ length: FILLERS }, taker));
  return leases;
}

/** lockContestants are a sequential acquire + release on a store with no other locks, and on one with HELD others held. */
export function lockContestants(empty: Baton, busy: Baton): Contestant[] {
  const a = empty.lock('b7-cycle');
  const b = busy.lock('b7-cycle');
  return [
    { name: 'no other locks', op: async () => (await a.acquire()).release() },
    { name: `${HELD / 1000}k other locks held`, op: async () => (await b.acquire()).release() },
  ];
}
