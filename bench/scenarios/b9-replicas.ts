/**
 * B9 cost of durability (issue 18): B1's lock cycle and B4's dict get/set/incr (32 concurrent
 * callers) of baton on a Redis master with one replica, once with `replicas=0` and once with
 * `replicas=1` on the same master, interleaved in the same rounds. With `replicas=1` a grant, an
 * extension and a dict write are pipelined with `WAIT 1 replicasTimeoutMs` on the same connection;
 * releases and reads are not waited for. The master and its replica are this scenario's own
 * redis-server processes on free loopback ports (the runner's single Redis has no replica), started
 * in sync before the first round and stopped at the end. Ratios are replicas=1 / replicas=0, the
 * median of the per-round ratios; with two subjects, more and shorter rounds than B1/B4's pair them
 * more closely on a loaded machine.
 */
import { waitForReplicasOf } from '../../test/support/redis-sentinel.js';
import { type RedisHandle, redisCommand, startRedis } from '../../test/support/services.js';
import { type Contestant, interleave, type Rounds } from '../measure.js';
import { type Row, rowsOf, type Scenario, withRatios } from '../model.js';
import { batons, closeAll } from '../peers.js';

const CALLERS = 32;
const KEYS = 1000;
const NONE = 'baton redis replicas=0';
const ONE = 'baton redis replicas=1';
const VALUE = { state: 'running', n: 1 };
const SYNC = ['--repl-diskless-sync', 'yes', '--repl-diskless-sync-delay', '0'];

export const b9: Scenario = {
  id: 'B9',
  title: 'cost of replicas=1 against replicas=0 (lock cycle, dict ops) on a master with one replica',
  needs: [],
  async run(ctx) {
    const lockRounds: Rounds = ctx.quick
      ? { rounds: 3, warmupMs: 300, roundMs: 400 }
      : { rounds: 9, warmupMs: 1000, roundMs: 500 };
    const dictRounds: Rounds = ctx.quick
      ? { rounds: 3, warmupMs: 300, roundMs: 300 }
      : { rounds: 9, warmupMs: 700, roundMs: 400 };
    const servers: RedisHandle[] = [];
    const rows: Row[] = [];
    let waits = 0;
    try {
      const master = await startRedis({ extraArgs: SYNC });
      servers.push(master);
      servers.push(
        await startRedis({ extraArgs: [...SYNC, '--replicaof', '127.0.0.1', String(master.port)] }),
      );
      await waitForReplicasOf(master, 1, 20_000);
      ctx.progress(`B9 master 127.0.0.1:${master.port} with one replica in sync`);
      const [none, one] = await Promise.all([
        batons(master.url, 1).then(([b]) => b!),
        batons(`${master.url}?replicas=1`, 1).then(([b]) => b!),
      ]);
      try {
        const cycle = (b: typeof none, name: string) => {
          const lock = b.lock(name);
          return async () => (await lock.acquire()).release();
        };
        ctx.progress(`B9 lock cycle: ${NONE}, ${ONE}, ${lockRounds.rounds} interleaved rounds…`);
        const locks = await interleave(
          [
            { name: NONE, op: cycle(none, 'b9-r0') },
            { name: ONE, op: cycle(one, 'b9-r1') },
          ],
          lockRounds,
        );
        rows.push(...rowsOf('B9', 'lock cycle', 'cycles/s', locks));

        let n = 0;
        const key = () => `k${n++ % KEYS}`;
        const subjects = [
          { name: NONE, dict: none.dict<typeof VALUE>('b9-r0'), counters: none.dict<number>('b9n-r0') },
          { name: ONE, dict: one.dict<typeof VALUE>('b9-r1'), counters: one.dict<number>('b9n-r1') },
        ];
        const ops: Record<'set' | 'get' | 'incr', Contestant[]> = {
          set: subjects.map((s) => ({ name: s.name, op: () => s.dict.set(key(), VALUE) })),
          get: subjects.map((s) => ({ name: s.name, op: () => s.dict.get(key()) })),
          incr: subjects.map((s) => ({ name: s.name, op: () => s.counters.incr(key()) })),
        };
        for (const [op, contestants] of Object.entries(ops)) {
          ctx.progress(
            `B9 ${op}: ${NONE}, ${ONE}, ${CALLERS} callers, ${dictRounds.rounds} interleaved rounds…`,
          );
          const samples = await interleave(
            contestants.map((c) => ({ ...c, concurrency: CALLERS })),
            dictRounds,
          );
          rows.push(...rowsOf('B9', op, 'ops/s', samples));
        }
      } finally {
        await closeAll([none, one]);
      }
      // Proof that replicas=1 waited: the master counts the WAITs it answered (replicas=0 sends none).
      const stats = await redisCommand(master.port, ['INFO', 'commandstats']);
      waits = Number(/cmdstat_wait:calls=(\d+)/.exec(stats)?.[1] ?? 0);
      if (waits === 0) throw new Error('replicas=1 sent no WAIT: the scenario measured nothing');
    } finally {
      await Promise.all(servers.map((s) => s.stop()));
    }
    // The median latency ratio beside the throughput ratio: on a loaded machine the rounds'
    // throughput swings several-fold, while p50 (pooled over every call) moves less.
    const result = withRatios(rows, NONE).map((row) => {
      const base = rows.find((r) => r.case === row.case && r.subject === NONE);
      if (row.subject !== ONE || !base?.p50Ms || row.p50Ms === undefined) return row;
      return {
        ...row,
        note: [row.note, `p50 ${(row.p50Ms / base.p50Ms).toFixed(2)} × replicas=0`]
          .filter(Boolean)
          .join('; '),
      };
    });
    return {
      rows: result,
      verdicts: [
        {
          scenario: 'B9',
          target: 'none (issue 18 asks for the figure): replicas=1 / replicas=0',
          reached: true,
          detail: ['lock cycle', 'set', 'get', 'incr']
            .map((c) => {
              const r = result.find((x) => x.case === c && x.subject === ONE)?.ratio ?? Number.NaN;
              return `${c} ${r.toFixed(2)}`;
            })
            .join(', ')
            .concat(`; the master answered ${waits} WAITs`),
        },
      ],
    };
  },
};
