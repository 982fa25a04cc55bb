/**
 * B8 near cache: 32 concurrent callers on one client read 16 hot keys while one writer (another
 * baton client) keeps changing them. Subjects: `baton.dict(name, { cache })` (reads answered from
 * memory, kept current by the dict's watch), the same dict without the cache, and keyv's get
 * (@keyv/redis) on the same Redis. The subjects run interleaved in rounds; the writer runs
 * throughout. Ratios are to keyv. Issue 21's target: near-cached get ≥ 10 × keyv's get.
 */
import KeyvRedis from '@keyv/redis';
import Keyv from 'keyv';
import { interleave, type Rounds } from '../measure.js';
import { ratioOf, rowsOf, type Scenario, withRatios } from '../model.js';
import { batons, closeAll } from '../peers.js';

const CALLERS = 32;
const HOT_KEYS = 16;
const KEYV = 'keyv';
const CACHED = 'baton near cache';

export const b8: Scenario = {
  id: 'B8',
  title: `near-cached dict get, ${CALLERS} callers on ${HOT_KEYS} hot keys while one writer changes them (Redis)`,
  needs: ['redis'],
  async run(ctx) {
    const rounds: Rounds = ctx.quick
      ? { rounds: 3, warmupMs: 300, roundMs: 300 }
      : { rounds: 5, warmupMs: 700, roundMs: 800 };
    const hot = (() => {
      let n = 0;
      return () => `h${n++ % HOT_KEYS}`;
    })();
    const [reader, writer] = await batons(ctx.redisUrl, 2);
    const keyv = new Keyv<{ n: number }>(new KeyvRedis(ctx.redisUrl));
    let writing = true;
    let writes = 0;
    let loop: Promise<void> = Promise.resolve();
    try {
      const cached = reader!.dict<{ n: number }>('b8', { cache: { maxEntries: 1000 } });
      const plain = reader!.dict<{ n: number }>('b8');
      const source = writer!.dict<{ n: number }>('b8');
      for (let i = 0; i < HOT_KEYS; i++) {
        await source.set(`h${i}`, { n: 0 });
        await keyv.set(`h${i}`, { n: 0 });
      }
      loop = (async () => {
        while (writing) {
          const key = hot();
          await Promise.all([source.set(key, { n: ++writes }), keyv.set(key, { n: writes })]);
        }
      })();
      ctx.progress(`B8 get: ${CACHED}, baton redis, ${KEYV}, ${rounds.rounds} interleaved rounds…`);
      const samples = await interleave(
        [
          { name: CACHED, op: () => cached.get(hot()) },
          { name: 'baton redis', op: () => plain.get(hot()) },
          { name: KEYV, op: () => keyv.get(hot()) },
        ].map((c) => ({ ...c, concurrency: CALLERS })),
        rounds,
      );
      const stats = cached.cacheStats()!;
      const rows = withRatios(rowsOf('B8', 'get', 'ops/s', samples), KEYV).map((r) =>
        r.subject === CACHED
          ? {
              ...r,
              note: `hit rate ${((100 * stats.hits) / Math.max(1, stats.hits + stats.misses)).toFixed(1)} %, ${writes} writes during the run`,
              extra: { hits: stats.hits, misses: stats.misses, writes },
            }
          : r,
      );
      const ratio = ratioOf(rows, 'get', CACHED, KEYV);
      return {
        rows,
        verdicts: [
          {
            scenario: 'B8',
            target: '≥ 10 × keyv get',
            reached: ratio >= 10,
            detail: `${ratio.toFixed(1)} × keyv`,
          },
        ],
      };
    } finally {
      writing = false;
      await loop.catch(() => undefined);
      await closeAll([reader!, writer!]);
      await keyv.disconnect();
    }
  },
};
