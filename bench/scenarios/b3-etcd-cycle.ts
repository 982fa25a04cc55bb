/**
 * B3 etcd lock cycle, uncontended: acquire + release, sequential, one client, one etcd member.
 * Subjects: baton on etcd:// and etcd3's `Lock` (defaults: 30 s lease), interleaved in rounds.
 */
import { Etcd3 } from 'etcd3';
import { interleave, type Rounds } from '../measure.js';
import { type Row, ratioOf, rowsOf, type Scenario, withRatios } from '../model.js';
import { batons, closeAll } from '../peers.js';

const CASE = 'etcd lock cycle';
const PEER = 'etcd3 Lock';

export const b3: Scenario = {
  id: 'B3',
  title: 'uncontended lock cycle on etcd',
  needs: ['etcd'],
  async run(ctx) {
    const rounds: Rounds = ctx.quick
      ? { rounds: 3, warmupMs: 300, roundMs: 500 }
      : { rounds: 5, warmupMs: 1000, roundMs: 1000 };
    const etcd = new Etcd3({ hosts: ctx.etcdUrl.replace('etcd://', 'http://') });
    const [baton] = await batons(ctx.etcdUrl, 1);
    let rows: Row[];
    try {
      const lock = baton!.lock('b3-baton');
      ctx.progress(`B3 ${PEER}, baton etcd: ${rounds.rounds} interleaved rounds…`);
      const samples = await interleave(
        [
          { name: PEER, op: async () => (await etcd.lock('b3-etcd3').acquire()).release() },
          { name: 'baton etcd', op: async () => (await lock.acquire()).release() },
        ],
        rounds,
      );
      rows = rowsOf('B3', CASE, 'cycles/s', samples);
    } finally {
      etcd.close();
      await closeAll([baton!]);
    }

    const result = withRatios(rows, PEER);
    const ratio = ratioOf(result, CASE, 'baton etcd', PEER);
    return {
      rows: result,
      verdicts: [
        {
          scenario: 'B3',
          target: '≥ 1.0 × etcd3 Lock (the issue names no number; the peer is the bar)',
          reached: ratio >= 1,
          detail: `${ratio.toFixed(2)} × etcd3 Lock`,
        },
      ],
    };
  },
};
