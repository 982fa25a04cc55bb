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
 * The subjects run interleaved: each round gives every subject its share of the sections, in a
 * rotating order (throughput is the median round; latencies, waits and shares are over all
 * rounds). A round stops at its section count or at its time cap, whichever comes first; clients
 * still waiting then take the lock once more and leave, uncounted.
 */
import { Etcd3, EtcdLockFailedError } from 'etcd3';
import { Mutex } from 'redis-semaphore';
import { median, sleep, summarize } from '../measure.js';
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
    const rounds = ctx.quick ? 2 : 4;
    const target = (ctx.quick ? 400 : 2000) / rounds;
    const capMs = (ctx.quick ? 4000 : 20_000) / rounds;
    const urls = { redis: ctx.redisUrl, etcd: ctx.etcdUrl };
    ctx.progress(`B2 opening ${CLIENTS} clients for each of ${SUBJECTS.length} subjects…`);
    const opened = await Promise.all(SUBJECTS.map((subject) => subject.open(urls)));
    const tallies = SUBJECTS.map(() => newTally());
    try {
      for (let r = 0; r < rounds; r++) {
        for (let k = 0; k < SUBJECTS.length; k++) {
          const i = (k + r) % SUBJECTS.length;
          ctx.progress(`B2 round ${r + 1}/${rounds} ${SUBJECTS[i]!.name}: up to ${target} sections…`);
          timeouts = 0;
          await contend(opened[i]!.contenders, target, capMs, tallies[i]!);
          tallies[i]!.timeouts += timeouts;
        }
      }
    } finally {
      await Promise.all(opened.map((o) => o.close()));
    }
    const rows: Row[] = SUBJECTS.map((subject, i) => {
      const t = tallies[i]!;
      const handoff = summarize(t.handoffs, 1);
      const waitP99Ms = summarize(t.waits, 1).p99Ms;
      const busiest = Math.max(...t.perClient) / Math.max(1, t.sections);
      const notes = [
        `${t.sections} sections`,
        `acquire wait p99 ${waitP99Ms.toFixed(1)} ms`,
        `busiest client ${(busiest * 100).toFixed(0)} %`,
      ];
      if (t.capped > 0) notes.push(`${t.capped} of ${rounds} rounds stopped by the time cap`);
      if (t.timeouts > 0) notes.push(`${t.timeouts} acquire timeouts retried`);
      if (t.overlaps > 0) notes.push(`**${t.overlaps} overlapping sections**`);
      return {
        scenario: 'B2',
        case: 'handoff',
        subject: subject.name,
        unit: 'sections/s',
        opsPerSec: median(t.perRound),
        perRound: t.perRound,
        p50Ms: handoff.p50Ms,
        p99Ms: handoff.p99Ms,
        note: notes.join('; '),
        extra: {
          sections: t.sections,
          overlaps: t.overlaps,
          timeouts: t.timeouts,
          waitP99Ms,
          busiestShare: busiest,
        },
      };
    });
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

/** Tally accumulates one subject's measurements over its rounds. */
interface Tally {
  readonly handoffs: number[];
  readonly waits: number[];
  readonly perClient: number[];
  readonly perRound: number[];
  sections: number;
  overlaps: number;
  timeouts: number;
  capped: number;
}

function newTally(): Tally {
  return {
    handoffs: [],
    waits: [],
    perClient: Array.from({ length: CLIENTS }, () => 0),
    perRound: [],
    sections: 0,
    overlaps: 0,
    timeouts: 0,
    capped: 0,
  };
}

/** contend runs one round: the contenders until `target` sections or `capMs`, timing each handoff into `t`. */
async function contend(
  contenders: readonly Contender[],
  target: number,
  capMs: number,
  t: Tally,
): Promise<void> {
  let sections = 0;
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
          t.waits.push(grantedAt - askedAt);
          t.perClient[client]!++;
          if (releasingAt !== undefined) t.handoffs.push(grantedAt - releasingAt);
          if (++inside > 1) t.overlaps++;
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
  t.sections += sections;
  if (sections < target) t.capped++;
  t.perRound.push((sections * 1000) / Math.max(1, lastEnd - start));
}
