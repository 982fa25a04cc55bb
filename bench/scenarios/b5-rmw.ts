/**
 * B5 contended read-modify-write: 16 clients (each its own connections) × 200 increments of one
 * key on Redis, via baton `update(fn)`, baton `incr`, the naive get + set (what Python's Manager
 * dict invites), and raw HINCRBY as the floor. Throughput and lost updates (expected − final).
 * Each round runs every subject once on a fresh key, in a rotating order; throughput is the
 * median round, lost updates are summed over the rounds.
 */
import { fixedWork, fromRounds } from '../measure.js';
import { type Row, ratioOf, type Scenario, withRatios } from '../model.js';
import { batons, closeAll, redisClient } from '../peers.js';

const CLIENTS = 16;
const EACH = 200;
const EXPECTED = CLIENTS * EACH;
const RAW = 'raw HINCRBY';

/** Subject increments `key` once from client `c`, and reads the final count of `key`. */
interface Subject {
  readonly name: string;
  readonly increment: (c: number, key: string) => Promise<unknown>;
  readonly final: (key: string) => Promise<number>;
}

export const b5: Scenario = {
  id: 'B5',
  title: `contended read-modify-write, ${CLIENTS} clients × ${EACH} increments of one key`,
  needs: ['redis'],
  async run(ctx) {
    const rounds = ctx.quick ? 1 : 3;
    const raws = await Promise.all(Array.from({ length: CLIENTS }, () => redisClient(ctx.redisUrl)));
    const clients = await batons(ctx.redisUrl, CLIENTS);
    const rows: Row[] = [];
    try {
      const dicts = clients.map((b) => b.dict<number>('b5'));
      const d = (c: number) => dicts[c]!;
      const subjects: Subject[] = [
        {
          name: RAW,
          increment: (c, key) => raws[c]!.hincrby('b5raw', key, 1),
          final: async (key) => Number(await raws[0]!.hget('b5raw', key)),
        },
        {
          name: 'baton incr',
          increment: (c, key) => d(c).incr(key),
          final: async (key) => (await d(0).get(key)) ?? 0,
        },
        {
          name: 'baton update(fn)',
          increment: (c, key) => d(c).update(key, (old) => (old ?? 0) + 1),
          final: async (key) => (await d(0).get(key)) ?? 0,
        },
        {
          name: 'naive get + set',
          increment: async (c, key) => d(c).set(key, ((await d(c).get(key)) ?? 0) + 1),
          final: async (key) => (await d(0).get(key)) ?? 0,
        },
      ];
      const tallies = subjects.map(() => ({ latencies: [] as number[], perRound: [] as number[], lost: 0 }));
      for (let r = 0; r < rounds; r++) {
        for (let k = 0; k < subjects.length; k++) {
          const i = (k + r) % subjects.length;
          const subject = subjects[i]!;
          const key = `${subject.name}#${r}`;
          const s = await fixedWork((c) => subject.increment(c, key), CLIENTS, EACH);
          const lost = EXPECTED - (await subject.final(key));
          ctx.progress(
            `B5 round ${r + 1}/${rounds} ${subject.name}: ${Math.round(s.opsPerSec)} increments/s, ${lost} lost`,
          );
          tallies[i]!.perRound.push(s.opsPerSec);
          tallies[i]!.lost += lost;
          tallies[i]!.latencies.push(...s.latencies);
        }
      }
      subjects.forEach((subject, i) => {
        const t = tallies[i]!;
        const s = fromRounds(t.latencies, t.perRound);
        rows.push({
          scenario: 'B5',
          case: 'increment one key',
          subject: subject.name,
          unit: 'incr/s',
          opsPerSec: s.opsPerSec,
          p50Ms: s.p50Ms,
          p99Ms: s.p99Ms,
          perRound: s.perRound,
          note: `${t.lost} of ${EXPECTED * rounds} updates lost`,
          extra: { lost: t.lost, expected: EXPECTED * rounds },
        });
      });
    } finally {
      await closeAll([...raws, ...clients]);
    }

    const result = withRatios(rows, RAW);
    const lost = (subject: string) => result.find((r) => r.subject === subject)?.extra?.lost ?? Number.NaN;
    const incr = ratioOf(result, 'increment one key', 'baton incr', RAW);
    return {
      rows: result,
      verdicts: [
        {
          scenario: 'B5',
          target: '0 lost updates (baton), incr ≥ 0.8 × raw HINCRBY',
          reached: lost('baton incr') === 0 && lost('baton update(fn)') === 0 && incr >= 0.8,
          detail: `lost: incr ${lost('baton incr')}, update ${lost('baton update(fn)')} (naive ${lost('naive get + set')}); incr ${incr.toFixed(2)} × raw`,
        },
      ],
    };
  },
};
