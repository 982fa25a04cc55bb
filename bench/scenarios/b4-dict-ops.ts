/**
 * B4 dict operations on Redis, 32 concurrent callers on one client: get, set, incr over 1000 keys.
 * Subjects: raw ioredis (HGET / HSET of the JSON text / HINCRBY on one hash), baton on redis://,
 * keyv with @keyv/redis (get, set; keyv has no increment, so no incr row). Per operation the
 * subjects run interleaved in rounds. keyv is also the reference peer (issue 21): baton's rows carry
 * their ratio to keyv's get and set of the same rounds, and incr its ratio to keyv's set (keyv's
 * cheapest write, one round trip; there is no keyv increment to compare with).
 */
import KeyvRedis from '@keyv/redis';
import Keyv from 'keyv';
import { type Contestant, interleave, type Rounds } from '../measure.js';
import { pairedRatio, type Row, ratioOf, rowsOf, type Scenario, withRatios } from '../model.js';
import { batons, closeAll, redisClient } from '../peers.js';

const CALLERS = 32;
const KEYS = 1000;
const RAW = 'raw ioredis';
const BATON = 'baton redis';
const KEYV = 'keyv';
const VALUE = { state: 'running', n: 1 };

export const b4: Scenario = {
  id: 'B4',
  title: `dict get/set/incr, ${CALLERS} concurrent callers on Redis`,
  needs: ['redis'],
  async run(ctx) {
    const rounds: Rounds = ctx.quick
      ? { rounds: 3, warmupMs: 300, roundMs: 300 }
      : { rounds: 5, warmupMs: 700, roundMs: 800 };
    const key = (() => {
      let n = 0;
      return () => `k${n++ % KEYS}`;
    })();
    const text = JSON.stringify(VALUE);
    const raw = await redisClient(ctx.redisUrl);
    const [baton] = await batons(ctx.redisUrl, 1);
    const keyv = new Keyv<typeof VALUE>(new KeyvRedis(ctx.redisUrl));
    const rows: Row[] = [];
    try {
      const dict = baton!.dict<typeof VALUE>('b4');
      const counters = baton!.dict<number>('b4n');
      for (let i = 0; i < KEYS; i++) await keyv.set(`k${i}`, VALUE); // keyv reads hit, as the others do
      const ops: Record<'set' | 'get' | 'incr', Contestant[]> = {
        set: [
          { name: RAW, op: () => raw.hset('b4raw', key(), text) },
          { name: BATON, op: () => dict.set(key(), VALUE) },
          { name: KEYV, op: () => keyv.set(key(), VALUE) },
        ],
        get: [
          { name: RAW, op: async () => JSON.parse((await raw.hget('b4raw', key())) ?? 'null') },
          { name: BATON, op: () => dict.get(key()) },
          { name: KEYV, op: () => keyv.get(key()) },
        ],
        incr: [
          { name: RAW, op: () => raw.hincrby('b4rawn', key(), 1) },
          { name: BATON, op: () => counters.incr(key()) },
        ],
      };
      for (const [op, contestants] of Object.entries(ops)) {
        ctx.progress(
          `B4 ${op}: ${contestants.map((c) => c.name).join(', ')}, ${rounds.rounds} interleaved rounds…`,
        );
        const samples = await interleave(
          contestants.map((c) => ({ ...c, concurrency: CALLERS })),
          rounds,
        );
        rows.push(...rowsOf('B4', op, 'ops/s', samples));
      }
    } finally {
      await closeAll([raw, baton!]);
      await keyv.disconnect();
    }

    const result = withRatios(rows, RAW).map((row) => {
      if (row.subject !== BATON) return row;
      const peerCase = row.case === 'incr' ? 'set' : row.case;
      const peer = keyvRow(rows, peerCase);
      if (!peer) return row;
      // get and set ran in the same rounds as keyv's: paired ratio; incr's rounds were others.
      const ratio = peerCase === row.case ? pairedRatio(row, peer) : row.opsPerSec / peer.opsPerSec;
      return { ...row, versus: { subject: `keyv ${peerCase}`, ratio } };
    });
    const worst = Math.min(...['get', 'set', 'incr'].map((op) => ratioOf(result, op, BATON, RAW)));
    const vsKeyv = (op: string) =>
      result.find((r) => r.case === op && r.subject === BATON)?.versus?.ratio ?? Number.NaN;
    const worstKeyv = Math.min(...['get', 'set', 'incr'].map(vsKeyv));
    return {
      rows: result,
      verdicts: [
        {
          scenario: 'B4',
          target: '≥ 1.0 × keyv (get, set; incr against keyv set), same Redis, same run',
          reached: worstKeyv >= 1,
          detail: ['get', 'set', 'incr'].map((op) => `${op} ${vsKeyv(op).toFixed(2)}`).join(', '),
        },
        {
          scenario: 'B4',
          target: '≥ 0.8 × raw ioredis (get, set, incr)',
          reached: worst >= 0.8,
          detail: ['get', 'set', 'incr']
            .map((op) => `${op} ${ratioOf(result, op, BATON, RAW).toFixed(2)}`)
            .join(', '),
        },
      ],
    };
  },
};

/** keyvRow is keyv's row of `caseName`. */
function keyvRow(rows: readonly Row[], caseName: string): Row | undefined {
  return rows.find((r) => r.case === caseName && r.subject === KEYV);
}
