/**
 * B4 dict operations on Redis, 32 concurrent callers on one client: get, set, incr over 1000 keys.
 * Subjects: raw ioredis (HGET / HSET of the JSON text / HINCRBY on one hash), baton on redis://,
 * keyv with @keyv/redis (get, set; keyv has no increment, so no incr row).
 */
import KeyvRedis from '@keyv/redis';
import Keyv from 'keyv';
import { measure, type Sample, type Timing } from '../measure.js';
import { type Row, ratioOf, type Scenario, withRatios } from '../model.js';
import { batons, closeAll, redisClient } from '../peers.js';

const CALLERS = 32;
const KEYS = 1000;
const RAW = 'raw ioredis';
const VALUE = { state: 'running', n: 1 };

export const b4: Scenario = {
  id: 'B4',
  title: `dict get/set/incr, ${CALLERS} concurrent callers on Redis`,
  needs: ['redis'],
  async run(ctx) {
    const timing: Timing = ctx.quick
      ? { warmupMs: 300, durationMs: 1500 }
      : { warmupMs: 1000, durationMs: 4000 };
    const rows: Row[] = [];
    const key = (() => {
      let n = 0;
      return () => `k${n++ % KEYS}`;
    })();
    const record = async (op: string, subject: string, run: () => Promise<unknown>) => {
      ctx.progress(`B4 ${op} ${subject}…`);
      const s: Sample = await measure(run, timing, CALLERS);
      rows.push({
        scenario: 'B4',
        case: op,
        subject,
        unit: 'ops/s',
        opsPerSec: s.opsPerSec,
        p50Ms: s.p50Ms,
        p99Ms: s.p99Ms,
        ...(s.errors > 0 ? { note: `${s.errors} calls failed (not timed)` } : {}),
      });
    };
    const text = JSON.stringify(VALUE);

    const raw = await redisClient(ctx.redisUrl);
    try {
      await record('set', RAW, () => raw.hset('b4raw', key(), text));
      await record('get', RAW, async () => JSON.parse((await raw.hget('b4raw', key())) ?? 'null'));
      await record('incr', RAW, () => raw.hincrby('b4rawn', key(), 1));
    } finally {
      await closeAll([raw]);
    }

    const [baton] = await batons(ctx.redisUrl, 1);
    try {
      const dict = baton!.dict<typeof VALUE>('b4');
      const counters = baton!.dict<number>('b4n');
      await record('set', 'baton redis', () => dict.set(key(), VALUE));
      await record('get', 'baton redis', () => dict.get(key()));
      await record('incr', 'baton redis', () => counters.incr(key()));
    } finally {
      await closeAll([baton!]);
    }

    const keyv = new Keyv<typeof VALUE>(new KeyvRedis(ctx.redisUrl));
    try {
      await record('set', 'keyv', () => keyv.set(key(), VALUE));
      await record('get', 'keyv', () => keyv.get(key()));
    } finally {
      await keyv.disconnect();
    }

    const result = withRatios(rows, RAW);
    const worst = Math.min(...['get', 'set', 'incr'].map((op) => ratioOf(result, op, 'baton redis', RAW)));
    return {
      rows: result,
      verdicts: [
        {
          scenario: 'B4',
          target: '≥ 0.8 × raw ioredis (get, set, incr)',
          reached: worst >= 0.8,
          detail: ['get', 'set', 'incr']
            .map((op) => `${op} ${ratioOf(result, op, 'baton redis', RAW).toFixed(2)}`)
            .join(', '),
        },
      ],
    };
  },
};
