/**
 * PoolState (a memory pool: one holder in a field, a Map once a second joins) keeps its holders
 * as a Map in grant order would, for every sequence of grants and releases: checked against a
 * real Map with fast-check. And a lock's pool of one permit is forgotten once released, so a
 * million lock names taken once each leave no state behind but their fence counters.
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryLocks } from '../../src/backends/memory/locks.js';
import { type PoolHolder, PoolState } from '../../src/backends/memory/pool-state.js';
import { memoryStore } from '../../src/backends/memory/store.js';

type Op = { kind: 'add'; token: number; count: number } | { kind: 'remove'; token: number };

const token = fc.noBias(fc.integer({ min: 0, max: 5 }));
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('add' as const), token, count: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ kind: fc.constant('remove' as const), token }),
);

function holder(token: string, count: number, fence: number): PoolHolder {
  return { token, count, fence, owner: undefined, expiresAt: 0, ttlMs: 1, timer: undefined };
}

describe('memory PoolState', () => {
  it('holds what a Map in grant order holds, with used the sum of the counts', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const pool = new PoolState(100);
        const model = new Map<string, PoolHolder>();
        let fence = 0;
        for (const o of ops) {
          const t = `t${o.token}`;
          if (o.kind === 'add') {
            if (model.has(t)) continue; // add is only called for a token that holds nothing
            const h = holder(t, o.count, ++fence);
            pool.add(h);
            model.set(t, h);
          } else {
            const h = model.get(t);
            if (!h) continue; // remove is only called for a holder found by holder(token)
            pool.remove(h);
            model.delete(t);
          }
          expect(pool.holderCount).toBe(model.size);
          expect([...pool.holders()]).toEqual([...model.values()]);
          expect(pool.used).toBe([...model.values()].reduce((s, h) => s + h.count, 0));
          for (let i = 0; i <= 5; i++) expect(pool.holder(`t${i}`)).toBe(model.get(`t${i}`));
        }
      }),
      { numRuns: 500 },
    );
  });

  it('a released lock leaves no pool behind, only its fence counter', async () => {
    const store = memoryStore(`pool-state-${randomBytes(4).toString('hex')}`);
    store.attach();
    const locks = new MemoryLocks(store);
    try {
      for (let i = 0; i < 1000; i++) {
        const tok = `tok${i}`;
        expect(await locks.acquire(`l${i % 10}`, { token: tok, ttlMs: 60_000, waitMs: 0 })).not.toBeNull();
        expect(store.locks.size).toBe(1);
        expect(await locks.release(`l${i % 10}`, tok)).toBe(true);
        expect(store.locks.size).toBe(0);
      }
      expect(store.fences.get('l3')).toBe(100);
    } finally {
      await locks.close();
      store.detach();
    }
  });
});
