/**
 * B3 etcd lock cycle, uncontended: acquire + release, sequential, one client, one etcd member.
 * Subjects: baton on etcd:// and etcd3's `Lock` (defaults: 30 s lease).
 */
import { Etcd3 } from 'etcd3';
import { measure, type Sample, type Timing } from '../measure.js';
import { type Row, ratioOf, type Scenario, withRatios } from '../model.js';
import { batons, closeAll } from '../peers.js';

const CASE = 'etcd lock cycle';
const PEER = 'etcd3 Lock';

export const b3: Scenario = {
  id: 'B3',
  title: 'uncontended lock cycle on etcd',
  needs: ['etcd'],
  async run(ctx) {
    const timing: Timing = ctx.quick
      ? { warmupMs: 300, durationMs: 1500 }
      : { warmupMs: 1000, durationMs: 5000 };
    const rows: Row[] = [];
    const row = (subject: string, s: Sample): Row => ({
      scenario: 'B3',
      case: CASE,
      subject,
      unit: 'cycles/s',
      opsPerSec: s.opsPerSec,
      p50Ms: s.p50Ms,
      p99Ms: s.p99Ms,
      ...(s.errors > 0 ? { note: `${s.errors} calls failed (not timed)` } : {}),
    });

    ctx.progress(`B3 ${PEER}…`);
    const etcd = new Etcd3({ hosts: ctx.etcdUrl.replace('etcd://', 'http://') });
    try {
      rows.push(
        row(PEER, await measure(async () => (await etcd.lock('b3-etcd3').acquire()).release(), timing)),
      );
    } finally {
      etcd.close();
    }

    ctx.progress('B3 baton etcd…');
    const [baton] = await batons(ctx.etcdUrl, 1);
    try {
      const lock = baton!.lock('b3-baton');
      rows.push(row('baton etcd', await measure(async () => (await lock.acquire()).release(), timing)));
    } finally {
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
