/**
 * B5 contended read-modify-write: 16 clients (each its own connections) × 200 increments of one
 * key on Redis, via baton `update(fn)`, baton `incr`, the naive get + set (what Python's Manager
 * dict invites), and raw HINCRBY as the floor. Throughput and lost updates (expected − final).
 */
import { fixedWork, type Sample } from '../measure.js';
import { type Row, ratioOf, type Scenario, withRatios } from '../model.js';
import { batons, closeAll, redisClient } from '../peers.js';

const CLIENTS = 16;
const EACH = 200;
const EXPECTED = CLIENTS * EACH;
const RAW = 'raw HINCRBY';

export const b5: Scenario = {
  id: 'B5',
  title: `contended read-modify-write, ${CLIENTS} clients × ${EACH} increments of one key`,
  needs: ['redis'],
  async run(ctx) {
    const rows: Row[] = [];
    const record = (subject: string, s: Sample, final: number) => {
      const lost = EXPECTED - final;
      ctx.progress(`B5 ${subject}: ${Math.round(s.opsPerSec)} increments/s, ${lost} lost`);
      rows.push({
        scenario: 'B5',
        case: 'increment one key',
        subject,
        unit: 'incr/s',
        opsPerSec: s.opsPerSec,
        p50Ms: s.p50Ms,
        p99Ms: s.p99Ms,
        note: `${lost} of ${EXPECTED} updates lost`,
        extra: { lost, expected: EXPECTED, final },
      });
    };

    const raws = await Promise.all(Array.from({ length: CLIENTS }, () => redisClient(ctx.redisUrl)));
    try {
      ctx.progress(`B5 ${RAW}…`);
      const s = await fixedWork((c) => raws[c]!.hincrby('b5raw', 'n', 1), CLIENTS, EACH);
      record(RAW, s, Number(await raws[0]!.hget('b5raw', 'n')));
    } finally {
      await closeAll(raws);
    }

    const clients = await batons(ctx.redisUrl, CLIENTS);
    try {
      const dicts = clients.map((b) => b.dict<number>('b5'));
      const d = (c: number) => dicts[c]!;
      ctx.progress('B5 baton incr…');
      record(
        'baton incr',
        await fixedWork((c) => d(c).incr('incr'), CLIENTS, EACH),
        (await d(0).get('incr')) ?? 0,
      );
      ctx.progress('B5 baton update(fn)…');
      record(
        'baton update(fn)',
        await fixedWork((c) => d(c).update('update', (old) => (old ?? 0) + 1), CLIENTS, EACH),
        (await d(0).get('update')) ?? 0,
      );
      ctx.progress('B5 naive get + set (baton dict)…');
      record(
        'naive get + set',
        await fixedWork(async (c) => d(c).set('naive', ((await d(c).get('naive')) ?? 0) + 1), CLIENTS, EACH),
        (await d(0).get('naive')) ?? 0,
      );
    } finally {
      await closeAll(clients);
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
