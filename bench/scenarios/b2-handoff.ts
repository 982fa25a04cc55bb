/**
 * B2 contended handoff: 16 clients, each with its own connections, take turns on one lock with a
 * 1 ms critical section. Measures sections per second and the handoff latency: from the moment
 * the holder starts its release to the moment the next holder's acquire resolves (all clients
 * live in this process, so one clock serves both ends). Subjects: baton on Redis and on etcd,
 * redlock (retryCount −1, default delays), redis-semaphore `Mutex` (defaults; an acquire timeout
 * is retried and counted), etcd3 `Lock` retried every 5 ms (it fails at once when held).
 *
 * Fairness is shown beside the speed: the p99 of the time one acquire waits, and the busiest
 * client's share of the sections (1/16 = 6 % is perfectly fair). A lock whose waiters poll lets
 * the releasing client win again at once: fast sections, starved waiters.
 *
 * A run stops at the section count or at the time cap, whichever comes first; clients still
 * waiting then take the lock once more and leave, uncounted.
 */
import { Etcd3, EtcdLockFailedError } from 'etcd3';
import { Mutex } from 'redis-semaphore';
import { type Sample, sleep, summarize } from '../measure.js';
import { type Row, ratioOf, type Scenario, withRatios } from '../model.js';
import { batons, closeAll, redisClient } from '../peers.js';
import { Redlock } from '../redlock.js';

const CLIENTS = 16;
const SECTION_MS = 1;
const ETCD3_RETRY_MS = 5;

/** Contender is one client of the lock: acquire resolves to the release function. */
type Contender = () => Promise<() => Promise<unknown>>;

interface Subject {
  readonly name: string;
  readonly open: (urls: { redis: string; etcd: string }) => Promise<{
    contenders: Contender[];
    close: () => Promise<void>;
  }>;
}

const SUBJECTS: readonly Subject[] = [
  {
    name: 'baton redis',
    async open({ redis }) {
      const clients = await batons(redis, CLIENTS);
      return batonContenders(clients);
    },
  },
  {
    name: 'baton etcd',
    async open({ etcd }) {
      const clients = await batons(etcd, CLIENTS);
      return batonContenders(clients);
    },
  },
  {
    name: 'redlock',
    async open({ redis }) {
      const clients = await Promise.all(Array.from({ length: CLIENTS }, () => redisClient(redis)));
      const contenders = clients.map((client): Contender => {
        const redlock = new Redlock([client], { retryCount: -1 });
        return async () => {
          const lock = await redlock.acquire(['b2-redlock'], 30_000);
          return () => lock.release();
        };
      });
      return { contenders, close: () => closeAll(clients) };
    },
  },
  {
    name: 'redis-semaphore Mutex',
    async open({ redis }) {
      const clients = await Promise.all(Array.from({ length: CLIENTS }, () => redisClient(redis)));
      const contenders = clients.map((client): Contender => {
        return async () => {
          const mutex = new Mutex(client, 'b2-semaphore');
          for (;;) {
            try {
              await mutex.acquire();
              return () => mutex.release();
            } catch (err) {
              if (!(err instanceof Error && err.name === 'TimeoutError')) throw err;
              timeouts++;
            }
          }
        };
      });
      return { contenders, close: () => closeAll(clients) };
    },
  },
  {
    name: 'etcd3 Lock, retry loop',
    async open({ etcd }) {
      const hosts = etcd.replace('etcd://', 'http://');
      const clients = Array.from({ length: CLIENTS }, () => new Etcd3({ hosts }));
      const contenders = clients.map((client): Contender => {
        return async () => {
          for (;;) {
            const lock = client.lock('b2-etcd3');
            try {
              await lock.acquire();
              return () => lock.release();
            } catch (err) {
              if (!(err instanceof EtcdLockFailedError)) throw err;
              await sleep(ETCD3_RETRY_MS);
            }
          }
        };
      });
      return {
        contenders,
        close: async () => {
          for (const c of clients) c.close();
        },
      };
    },
  },
];

let timeouts = 0;

function batonContenders(clients: Awaited<ReturnType<typeof batons>>) {
  const contenders = clients.map((baton): Contender => {
    const lock = baton.lock('b2-baton');
    return async () => {
      const lease = await lock.acquire();
      return () => lease.release();
    };
  });
  return { contenders, close: () => closeAll(clients) };
}

export const b2: Scenario = {
  id: 'B2',
  title: `contended handoff, ${CLIENTS} clients, one lock, ${SECTION_MS} ms sections`,
  needs: ['redis', 'etcd'],
  async run(ctx) {
    const target = ctx.quick ? 400 : 2000;
    const capMs = ctx.quick ? 4000 : 20_000;
    const rows: Row[] = [];
    for (const subject of SUBJECTS) {
      ctx.progress(`B2 ${subject.name}: up to ${target} sections or ${capMs / 1000} s…`);
      timeouts = 0;
      const { contenders, close } = await subject.open({ redis: ctx.redisUrl, etcd: ctx.etcdUrl });
      try {
        const { sample, sections, overlaps, waitP99Ms, busiest } = await contend(contenders, target, capMs);
        const notes = [
          `${sections} sections`,
          `acquire wait p99 ${waitP99Ms.toFixed(1)} ms`,
          `busiest client ${(busiest * 100).toFixed(0)} %`,
        ];
        if (sections < target) notes.push(`stopped by the ${capMs / 1000} s cap`);
        if (timeouts > 0) notes.push(`${timeouts} acquire timeouts retried`);
        if (overlaps > 0) notes.push(`**${overlaps} overlapping sections**`);
        ctx.progress(
          `B2 ${subject.name}: ${sample.opsPerSec.toFixed(1)} sections/s, handoff p99 ${sample.p99Ms.toFixed(2)} ms`,
        );
        rows.push({
          scenario: 'B2',
          case: 'handoff',
          subject: subject.name,
          unit: 'sections/s',
          opsPerSec: sample.opsPerSec,
          p50Ms: sample.p50Ms,
          p99Ms: sample.p99Ms,
          note: notes.join('; '),
          extra: { sections, overlaps, timeouts, waitP99Ms, busiestShare: busiest },
        });
      } finally {
        await close();
      }
    }
    const result = withRatios(rows, 'redlock');
    const best = Math.min(
      ...['baton redis', 'baton etcd'].map((s) => ratioOf(result, 'handoff', s, 'redlock')),
    );
    const p99 = Math.max(
      ...result.filter((r) => r.subject.startsWith('baton')).map((r) => r.p99Ms ?? Number.NaN),
    );
    return {
      rows: result,
      verdicts: [
        {
          scenario: 'B2',
          target: '≥ 10 × redlock sections/s, handoff p99 < 5 ms (baton redis and etcd)',
          reached: best >= 10 && p99 < 5,
          detail: ['baton redis', 'baton etcd']
            .map((s) => {
              const r = result.find((x) => x.subject === s);
              return `${s}: ${ratioOf(result, 'handoff', s, 'redlock').toFixed(1)} × redlock, p99 ${r?.p99Ms?.toFixed(2)} ms`;
            })
            .join('; '),
        },
      ],
    };
  },
};

/** contend runs the contenders until `target` sections or `capMs`, and times each handoff. */
async function contend(
  contenders: readonly Contender[],
  target: number,
  capMs: number,
): Promise<{ sample: Sample; sections: number; overlaps: number; waitP99Ms: number; busiest: number }> {
  const handoffs: number[] = [];
  const waits: number[] = [];
  const perClient = contenders.map(() => 0);
  let sections = 0;
  let overlaps = 0;
  let inside = 0;
  let releasingAt: number | undefined;
  let lastEnd = 0;
  const start = performance.now();
  const deadline = start + capMs;
  await Promise.all(
    contenders.map(async (acquire, client) => {
      while (sections < target && performance.now() < deadline) {
        const askedAt = performance.now();
        const release = await acquire();
        const grantedAt = performance.now();
        const counted = sections < target && grantedAt < deadline;
        if (counted) {
          waits.push(grantedAt - askedAt);
          perClient[client]!++;
          if (releasingAt !== undefined) handoffs.push(grantedAt - releasingAt);
          if (++inside > 1) overlaps++;
          sections++;
          await sleep(SECTION_MS);
          inside--;
          lastEnd = performance.now();
        }
        releasingAt = performance.now();
        await release();
      }
    }),
  );
  const sample = summarize(handoffs, lastEnd - start);
  const busiest = Math.max(...perClient) / Math.max(1, sections);
  const waitP99Ms = summarize(waits, 1).p99Ms;
  return {
    sample: { ...sample, opsPerSec: (sections * 1000) / (lastEnd - start) },
    sections,
    overlaps,
    waitP99Ms,
    busiest,
  };
}
