/**
 * B1 uncontended lock cycle: acquire + release, sequential, one client, one Redis. Subjects: baton
 * on redis://, redlock v5 (defaults), redis-semaphore `Mutex` (defaults), and the floor: two raw
 * EVALSHA round trips of baton's own acquire and release scripts on one ioredis connection.
 */

import { Mutex } from 'redis-semaphore';
import { measure, type Timing } from '../measure.js';
import { type Context, type Row, ratioOf, type Scenario, withRatios } from '../model.js';
import { batonScript, batons, closeAll, redisClient } from '../peers.js';
import { Redlock } from '../redlock.js';

const CASE = 'lock cycle';
const FLOOR = 'raw EVALSHA floor';
const PEERS = ['redlock', 'redis-semaphore Mutex'];

export const b1: Scenario = {
  id: 'B1',
  title: 'uncontended lock cycle on Redis',
  needs: ['redis'],
  async run(ctx) {
    const timing: Timing = ctx.quick
      ? { warmupMs: 300, durationMs: 1500 }
      : { warmupMs: 1000, durationMs: 5000 };
    const rows: Row[] = [];
    const add = async (subject: string, run: () => Promise<Row>) => {
      ctx.progress(`B1 ${subject}…`);
      rows.push(await run());
    };
    const row = (subject: string, s: Awaited<ReturnType<typeof measure>>): Row => ({
      scenario: 'B1',
      case: CASE,
      subject,
      unit: 'cycles/s',
      opsPerSec: s.opsPerSec,
      p50Ms: s.p50Ms,
      p99Ms: s.p99Ms,
      ...(s.errors > 0 ? { note: `${s.errors} calls failed (not timed)` } : {}),
    });

    await add(FLOOR, async () => row(FLOOR, await floor(ctx, timing)));
    await add('baton redis', async () => {
      const [baton] = await batons(ctx.redisUrl, 1);
      try {
        const lock = baton!.lock('b1-baton');
        return row('baton redis', await measure(async () => (await lock.acquire()).release(), timing));
      } finally {
        await closeAll([baton!]);
      }
    });
    await add('redlock', async () => {
      const client = await redisClient(ctx.redisUrl);
      try {
        const redlock = new Redlock([client]);
        return row(
          'redlock',
          await measure(async () => (await redlock.acquire(['b1-redlock'], 30_000)).release(), timing),
        );
      } finally {
        await closeAll([client]);
      }
    });
    await add('redis-semaphore Mutex', async () => {
      const client = await redisClient(ctx.redisUrl);
      try {
        const mutex = new Mutex(client, 'b1-semaphore');
        return row(
          'redis-semaphore Mutex',
          await measure(async () => {
            await mutex.acquire();
            await mutex.release();
          }, timing),
        );
      } finally {
        await closeAll([client]);
      }
    });

    const result = withRatios(rows, FLOOR);
    const vsFloor = ratioOf(result, CASE, 'baton redis', FLOOR);
    const best = Math.max(...PEERS.map((p) => ratioOf(result, CASE, p, FLOOR)));
    const vsPeer = vsFloor / best;
    return {
      rows: result,
      verdicts: [
        {
          scenario: 'B1',
          target: '≥ 0.9 × raw floor and ≥ 1.0 × best peer',
          reached: vsFloor >= 0.9 && vsPeer >= 1,
          detail: `${vsFloor.toFixed(2)} × floor, ${vsPeer.toFixed(2)} × best peer`,
        },
      ],
    };
  },
};

/** floor runs baton's acquire and release scripts by EVALSHA: the two round trips any Redis lock needs. */
async function floor(ctx: Context, timing: Timing) {
  const client = await redisClient(ctx.redisUrl);
  try {
    const acquire = String(await client.script('LOAD', await batonScript('lock_acquire')));
    const release = String(await client.script('LOAD', await batonScript('lock_release')));
    let n = 0;
    return await measure(async () => {
      const token = String(++n);
      const [granted] = (await client.evalsha(
        acquire,
        4,
        'b1f:h',
        'b1f:f',
        'b1f:q',
        'b1f:a',
        token,
        '30000',
        '',
        '0',
        '',
        '3000',
      )) as number[];
      if (granted !== 1) throw new Error('floor: lock not granted');
      const released = await client.evalsha(release, 3, 'b1f:h', 'b1f:q', 'b1f:a', token, 'b1f:released');
      if (released !== 1) throw new Error('floor: lock not released');
    }, timing);
  } finally {
    await closeAll([client]);
  }
}
