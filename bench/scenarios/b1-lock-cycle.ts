/**
 * B1 uncontended lock cycle: acquire + release, sequential, one client, one Redis. Subjects: baton
 * on redis://, redlock v5 (defaults), redis-semaphore `Mutex` (defaults), and the floor: two raw
 * EVALSHA round trips of baton's own acquire and release scripts on one ioredis connection. The
 * four run interleaved in rounds (median round; ratios are medians of each round's ratio).
 */
import { hostname } from 'node:os';
import { Mutex } from 'redis-semaphore';
import { LOCK_ACQUIRE, LOCK_RELEASE } from '../../src/backends/redis/script-defs.js';
import { scriptSource } from '../../src/backends/redis/scripts.js';
import { type Contestant, interleave, type Rounds, type RoundsSample } from '../measure.js';
import { ratioOf, rowsOf, type Scenario, withRatios } from '../model.js';
import { batons, closeAll, redisClient } from '../peers.js';
import { Redlock } from '../redlock.js';

const CASE = 'lock cycle';
const FLOOR = 'raw EVALSHA floor';
const PEERS = ['redlock', 'redis-semaphore Mutex'];

export const b1: Scenario = {
  id: 'B1',
  title: 'uncontended lock cycle on Redis',
  needs: ['redis'],
  async run(ctx) {
    const rounds: Rounds = ctx.quick
      ? { rounds: 3, warmupMs: 300, roundMs: 400 }
      : { rounds: 5, warmupMs: 1000, roundMs: 1000 };
    const floorClient = await redisClient(ctx.redisUrl);
    const [baton] = await batons(ctx.redisUrl, 1);
    const redlockClient = await redisClient(ctx.redisUrl);
    const semaphoreClient = await redisClient(ctx.redisUrl);
    let samples: Map<string, RoundsSample>;
    try {
      const lock = baton!.lock('b1-baton');
      const redlock = new Redlock([redlockClient]);
      const mutex = new Mutex(semaphoreClient, 'b1-semaphore');
      const contestants: Contestant[] = [
        { name: FLOOR, op: await floor(floorClient) },
        { name: 'baton redis', op: async () => (await lock.acquire()).release() },
        {
          name: 'redlock',
          op: async () => (await redlock.acquire(['b1-redlock'], 30_000)).release(),
        },
        {
          name: 'redis-semaphore Mutex',
          op: async () => {
            await mutex.acquire();
            await mutex.release();
          },
        },
      ];
      ctx.progress(`B1 ${contestants.map((c) => c.name).join(', ')}: ${rounds.rounds} interleaved rounds…`);
      samples = await interleave(contestants, rounds);
    } finally {
      await closeAll([floorClient, baton!, redlockClient, semaphoreClient]);
    }
    const rows = rowsOf('B1', CASE, 'cycles/s', samples);

    const result = withRatios(rows, FLOOR);
    const vsFloor = ratioOf(result, CASE, 'baton redis', FLOOR);
    const vsPeer = Math.min(...PEERS.map((p) => ratioOf(result, CASE, 'baton redis', p)));
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

/**
 * floor returns a cycle made of baton's acquire and release scripts by EVALSHA on one ioredis
 * connection: the two round trips any Redis lock needs, with the same work inside Redis. Its
 * arguments are those baton's own call sends by default — a 128-bit token, the default owner
 * label (which the script stores), a waiter id (an acquire that may wait) — and its acquire
 * writes the lock index, as baton's does on a single Redis. What is left between the floor and
 * baton is the client: its layers, and the per-command timeout timer baton's connection sets.
 */
async function floor(client: Awaited<ReturnType<typeof redisClient>>): Promise<() => Promise<void>> {
  // The scripts as baton registers them: assembled with their includes by its script registry.
  const acquire = String(await client.script('LOAD', scriptSource(LOCK_ACQUIRE)));
  const release = String(await client.script('LOAD', scriptSource(LOCK_RELEASE)));
  const owner = `${hostname()}/${process.pid}`;
  let n = 0;
  return async () => {
    const token = String(++n).padStart(32, '0');
    const waiter = String(n).padStart(16, '0');
    const [, granted] = (await client.evalsha(
      acquire,
      5,
      'b1f:h',
      'b1f:f',
      'b1f:q',
      'b1f:a',
      'b1f:lock-index',
      token,
      '30000',
      owner,
      '1',
      waiter,
      '3000',
      'b1f',
      '0.5',
      '60000',
    )) as [string, string, number];
    if (granted !== 'granted') throw new Error('floor: lock not granted');
    const [, released] = (await client.evalsha(
      release,
      3,
      'b1f:h',
      'b1f:q',
      'b1f:a',
      token,
      'b1f:released',
    )) as [string, number];
    if (released !== 1) throw new Error('floor: lock not released');
  };
}
