/**
 * The backends a fleet runs against, each with its own freshly started real services (never the
 * shared ones from global setup: the nemesis kills them) and the backend faults the nemesis may
 * inject into them. Every fault heals before its `inject` resolves: the service is back and
 * answering.
 *
 * How it fails: a service that does not start or restart throws (ServerStartError with its log
 * tail); `stop()` never throws.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ConnectTarget } from '../../src/index.js';
import { batonEtcdUrl } from '../etcd/helpers.js';
import { redlockUrl } from '../redlock/helpers.js';
import { startSentinelDeployment } from '../support/redis-sentinel.js';
import {
  type EtcdClusterHandle,
  type RedisHandle,
  redisCommand,
  startEtcdCluster,
  startRedis,
  startRedisCluster,
} from '../support/services.js';
import { waitUntil } from '../support/wait.js';
import { type BatonServer, startBatonServer } from './server.js';

/** BackendFault is one kind of fault in a backend; `inject` applies it, heals it, and names its target. */
export interface BackendFault {
  readonly kind: string;
  inject(random: () => number, names: FleetNames): Promise<string>;
}

/** FleetNames are the lock and dict a run's workers use (a fault may aim at the server that holds them). */
export interface FleetNames {
  readonly lock: string;
  readonly dict: string;
}

/** FleetBackend is a running backend for one fleet run. */
export interface FleetBackend {
  readonly name: string;
  /** target is what the workers pass to `connect()` (and what the harness itself uses). */
  readonly target: ConnectTarget;
  /** targetFor, when present, gives worker slot `slot` a target of its own (mixed fleets). */
  readonly targetFor?: (slot: number) => ConnectTarget;
  readonly faults: readonly BackendFault[];
  /** describe says what runs, for the report. */
  readonly describe: string;
  /** problems lists what went wrong with the services themselves (a server that died by itself). */
  problems(): string[];
  stop(): Promise<void>;
}

/** BACKENDS names every backend a fleet can run against, in the order the runs go. */
export const BACKENDS = ['memory', 'redis', 'redis-cluster', 'redlock', 'etcd', 'http-redis'] as const;

/**
 * FAILOVER_BACKENDS are the Redis deployments with replicas, whose faults are failovers (issue 18):
 * `redis-sentinel-replicas` (1 master, 2 replicas, 3 sentinels, down-after 1000 ms) and
 * `redis-cluster-replicas` (3 masters with a replica each, node timeout 1000 ms). Workers connect
 * with `replicas=1`, so every acknowledged grant and write is on a replica too.
 */
export const FAILOVER_BACKENDS = ['redis-sentinel-replicas', 'redis-cluster-replicas'] as const;

/**
 * BackendName is one of BACKENDS, or `redis-outage`: a durable Redis that two thirds of the
 * workers use directly and one third through a baton server (both with a 2 s timeout), whose
 * faults are 3 s outages: killed (connections refused) or frozen (SIGSTOP: connections open,
 * nothing answers).
 */
export type BackendName = (typeof BACKENDS)[number] | (typeof FAILOVER_BACKENDS)[number] | 'redis-outage';

/** startBackend starts the services of backend `name`. */
export function startBackend(name: BackendName): Promise<FleetBackend> {
  switch (name) {
    case 'memory':
      return memoryServer();
    case 'redis':
      return redis();
    case 'redis-cluster':
      return redisCluster();
    case 'redlock':
      return redlock();
    case 'etcd':
      return etcd();
    case 'http-redis':
      return httpRedis();
    case 'redis-outage':
      return redisOutage();
    case 'redis-sentinel-replicas':
      return sentinelReplicas();
    case 'redis-cluster-replicas':
      return clusterReplicas();
  }
}

const prefix = (): string => `fleet-${randomBytes(4).toString('hex')}`;
const between = (random: () => number, min: number, max: number): number => min + random() * (max - min);

/** durableRedis is a redis-server whose acknowledged writes survive SIGKILL (AOF, fsync always). */
function durableRedis(): Promise<RedisHandle> {
  return startRedis({ appendonly: true, appendfsync: 'always' });
}

/** crashRestart SIGKILLs a redis-server, keeps it down a moment, and starts it again from its AOF. */
async function crashRestart(redisServer: RedisHandle, random: () => number): Promise<void> {
  await redisServer.kill();
  await sleep(between(random, 100, 1500));
  await redisServer.restart();
}

async function memoryServer(): Promise<FleetBackend> {
  const server = await startBatonServer(`memory://${prefix()}`);
  return {
    name: 'memory',
    target: server.url,
    faults: [],
    describe: `baton serve --backend memory:// (${server.url}); workers connect with http://`,
    problems: () => serverProblems(server),
    stop: () => server.stop('SIGKILL'),
  };
}

async function redis(): Promise<FleetBackend> {
  const redisServer = await durableRedis();
  return {
    name: 'redis',
    target: `${redisServer.url}/0?prefix=${prefix()}`,
    faults: [
      {
        kind: 'redis-crash-restart',
        async inject(random) {
          await crashRestart(redisServer, random);
          return `redis-server :${redisServer.port}`;
        },
      },
    ],
    describe: `redis-server ${redisServer.url} (appendonly yes, appendfsync always)`,
    problems: () => [],
    stop: () => redisServer.stop().catch(() => {}),
  };
}

async function redisCluster(): Promise<FleetBackend> {
  const cluster = await startRedisCluster(3);
  return {
    name: 'redis-cluster',
    target: `${cluster.url}?prefix=${prefix()}`,
    faults: [],
    describe: `Redis Cluster of 3 masters (${cluster.url})`,
    problems: () => [],
    stop: () => cluster.stop().catch(() => {}),
  };
}

async function redlock(): Promise<FleetBackend> {
  const started = await Promise.allSettled([startRedis(), startRedis(), startRedis(), durableRedis()]);
  const ok = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) {
    await Promise.allSettled(ok.map((h) => h.stop()));
    throw failed.reason;
  }
  const [a, b, c, dicts] = ok as [RedisHandle, RedisHandle, RedisHandle, RedisHandle];
  const masters = [a, b, c];
  const p = prefix();
  return {
    name: 'redlock',
    target: {
      locks: redlockUrl(masters, { prefix: p, timeoutMs: 1000 }),
      dicts: `${dicts.url}/0?prefix=${p}`,
    },
    faults: [
      {
        kind: 'redlock-master-crash-restart',
        async inject(random) {
          // One master at a time (a minority of 3), back empty: no persistence on the masters.
          // The next fault waits out the longest lease (2 s here) first, so two restarts never
          // fall inside one lease: that would be a majority forgetting it (docs/SAFETY.md).
          const master = masters[Math.floor(random() * masters.length)]!;
          await master.kill();
          await sleep(between(random, 100, 1500));
          await master.restart();
          await sleep(2_000);
          return `redlock master :${master.port}`;
        },
      },
    ],
    describe: `redlock over 3 redis-servers without persistence (${masters.map((m) => m.port).join(', ')}), dicts on redis-server :${dicts.port} (AOF always)`,
    problems: () => [],
    stop: async () => {
      await Promise.allSettled(ok.map((h) => h.stop()));
    },
  };
}

async function etcd(): Promise<FleetBackend> {
  const cluster: EtcdClusterHandle = await startEtcdCluster(3);
  return {
    name: 'etcd',
    target: batonEtcdUrl(cluster.url, prefix()),
    faults: [
      {
        kind: 'etcd-member-crash-restart',
        async inject(random) {
          // Half the time the leader, so elections happen under load too.
          const leader = await cluster.leader().catch(() => undefined);
          const member =
            leader !== undefined && random() < 0.5
              ? leader
              : cluster.members[Math.floor(random() * cluster.members.length)]!;
          await member.kill();
          await sleep(between(random, 100, 2000));
          await member.restart();
          return `etcd ${member.name}${member === leader ? ' (leader)' : ''}`;
        },
      },
    ],
    describe: `etcd cluster of 3 members (${cluster.url})`,
    problems: () => [],
    stop: () => cluster.stop().catch(() => {}),
  };
}

async function httpRedis(): Promise<FleetBackend> {
  const redisServer = await durableRedis();
  let server: BatonServer;
  try {
    server = await startBatonServer(`${redisServer.url}/0?prefix=${prefix()}`);
  } catch (err) {
    await redisServer.stop().catch(() => {});
    throw err;
  }
  return {
    name: 'http-redis',
    target: server.url,
    faults: [
      {
        kind: 'server-stop-start',
        async inject(random) {
          const signal = random() < 0.5 ? 'SIGTERM' : 'SIGKILL';
          await server.stop(signal);
          await sleep(between(random, 100, 1500));
          await server.start();
          return `baton serve (${signal})`;
        },
      },
    ],
    describe: `baton serve --backend ${redisServer.url} (AOF always) at ${server.url}; workers connect with http://`,
    problems: () => serverProblems(server),
    stop: async () => {
      await server.stop('SIGKILL').catch(() => {});
      await redisServer.stop().catch(() => {});
    },
  };
}

/** OUTAGE_MS is how long the redis-outage backend's Redis stays down per outage. */
export const OUTAGE_MS = 3_000;

async function redisOutage(): Promise<FleetBackend> {
  const redisServer = await durableRedis();
  const direct = `${redisServer.url}/0?prefix=${prefix()}&timeoutMs=2000`;
  let server: BatonServer;
  try {
    server = await startBatonServer(direct);
  } catch (err) {
    await redisServer.stop().catch(() => {});
    throw err;
  }
  return {
    name: 'redis-outage',
    target: direct,
    targetFor: (slot) => (slot % 3 === 2 ? server.url : direct),
    faults: [
      {
        kind: 'redis-outage',
        async inject() {
          await redisServer.kill();
          await sleep(OUTAGE_MS);
          await redisServer.restart();
          return `redis-server :${redisServer.port} down ${OUTAGE_MS} ms`;
        },
      },
      {
        kind: 'redis-freeze',
        async inject() {
          const pid = redisServer.pid;
          process.kill(pid, 'SIGSTOP');
          try {
            await sleep(OUTAGE_MS);
          } finally {
            process.kill(pid, 'SIGCONT');
          }
          return `redis-server :${redisServer.port} frozen ${OUTAGE_MS} ms`;
        },
      },
    ],
    describe: `redis-server ${redisServer.url} (AOF always); workers 2 and 5 through baton serve at ${server.url}`,
    problems: () => serverProblems(server),
    stop: async () => {
      await server.stop('SIGKILL').catch(() => {});
      await redisServer.stop().catch(() => {});
    },
  };
}

/** FAILOVER_TIMEOUT_MS bounds each wait of a failover fault (a promotion, the replicas back in sync). */
const FAILOVER_TIMEOUT_MS = 30_000;

/**
 * freezeThenWake SIGSTOPs `server`, waits for `promoted` (another master named), keeps it frozen
 * 0–1000 ms longer and SIGCONTs it: it wakes still believing it is the master (split-brain) until
 * it is demoted.
 */
async function freezeThenWake(
  server: RedisHandle,
  promoted: () => Promise<void>,
  random: () => number,
): Promise<void> {
  const pid = server.pid;
  process.kill(pid, 'SIGSTOP');
  try {
    await promoted();
    await sleep(between(random, 0, 1000));
  } finally {
    process.kill(pid, 'SIGCONT');
  }
}

/** killThenRestart SIGKILLs `server`, waits for `promoted`, keeps it down 0–1000 ms and restarts it (empty: it rejoins as a replica). */
async function killThenRestart(
  server: RedisHandle,
  promoted: () => Promise<void>,
  random: () => number,
): Promise<void> {
  await server.kill();
  await promoted();
  await sleep(between(random, 0, 1000));
  await server.restart();
}

/**
 * onlineReplicas counts the online replicas of the master on `port` (0 when it is not a master or
 * does not answer). The support helpers' waitForReplicas also wants every replica at the master's
 * offset, which a fleet writing without pause rarely shows at the instant of asking.
 */
async function onlineReplicas(port: number): Promise<number> {
  const info = await redisCommand(port, ['INFO', 'replication']).catch(() => '');
  if (!info.includes('role:master')) return 0;
  return [...info.matchAll(/slave\d+:[^\r\n]*state=online/g)].length;
}

async function sentinelReplicas(): Promise<FleetBackend> {
  const dep = await startSentinelDeployment({ replicas: 2, sentinels: 3, downAfterMs: 1000 });
  // Each fault aims at the current master, waits for the sentinels to promote a replica, heals
  // the old master (Sentinel makes it a replica of the new one) and ends once every server is an
  // in-sync replica of the new master again.
  const failover = async (
    random: () => number,
    how: (server: RedisHandle, promoted: () => Promise<void>, random: () => number) => Promise<void>,
  ): Promise<string> => {
    const port = await dep.masterPort();
    const promoted = async (): Promise<void> => {
      await dep.waitForNewMaster(port, FAILOVER_TIMEOUT_MS);
    };
    await how(dep.server(port), promoted, random);
    await waitUntil(
      async () => (await onlineReplicas(await dep.masterPort())) === dep.servers.length - 1,
      'every other server an online replica of the new master',
      { timeoutMs: FAILOVER_TIMEOUT_MS, intervalMs: 100 },
    );
    return `master :${port} → :${await dep.masterPort()}`;
  };
  return {
    name: 'redis-sentinel-replicas',
    target: `${dep.url}&replicas=1&prefix=${prefix()}`,
    faults: [
      { kind: 'master-freeze', inject: (random) => failover(random, freezeThenWake) },
      { kind: 'master-kill', inject: (random) => failover(random, killThenRestart) },
    ],
    describe: `Sentinel: 1 master, 2 replicas, 3 sentinels, down-after ${dep.downAfterMs} ms, no persistence (${dep.url}); workers use replicas=1`,
    problems: () => [],
    stop: () => dep.stop().catch(() => {}),
  };
}

async function clusterReplicas(): Promise<FleetBackend> {
  const cluster = await startRedisCluster(3, { replicas: 1, nodeTimeoutMs: 1000 });
  // Each fault aims at the master serving the lock's slot or the dict's (at random), waits for the
  // cluster to promote its replica, heals the old master (it rejoins as a replica) and ends once
  // the cluster is ok and every master has its replica in sync.
  const failover = async (
    random: () => number,
    names: FleetNames,
    how: (server: RedisHandle, promoted: () => Promise<void>, random: () => number) => Promise<void>,
  ): Promise<string> => {
    const aimAt = random() < 0.5 ? 'lock' : 'dict';
    const live = cluster.nodes.map((n) => n.port);
    const slot = Number(await redisCommand(live[0]!, ['CLUSTER', 'KEYSLOT', `{${names[aimAt]}}`]));
    const old = await cluster.masterOf(slot);
    const promoted = async (): Promise<void> => {
      await waitUntil(
        async () => {
          const now = await cluster.masterOf(slot).catch(() => old);
          return now !== old;
        },
        `a replica promoted in place of :${old.port}`,
        { timeoutMs: FAILOVER_TIMEOUT_MS, intervalMs: 100 },
      );
    };
    await how(old, promoted, random);
    await cluster.waitForOk();
    await waitUntil(
      async () => {
        const counts = await Promise.all(cluster.nodes.map((n) => onlineReplicas(n.port)));
        return counts.filter((c) => c >= 1).length === cluster.nodes.length / 2;
      },
      'every master with an online replica',
      { timeoutMs: FAILOVER_TIMEOUT_MS, intervalMs: 100 },
    );
    return `${aimAt} master :${old.port} → :${(await cluster.masterOf(slot)).port}`;
  };
  return {
    name: 'redis-cluster-replicas',
    target: `${cluster.url}?replicas=1&prefix=${prefix()}`,
    faults: [
      { kind: 'master-freeze', inject: (random, names) => failover(random, names, freezeThenWake) },
      { kind: 'master-kill', inject: (random, names) => failover(random, names, killThenRestart) },
    ],
    describe: `Redis Cluster: 3 masters with a replica each, node timeout 1000 ms, no persistence (${cluster.url}); workers use replicas=1`,
    problems: () => [],
    stop: () => cluster.stop().catch(() => {}),
  };
}

function serverProblems(server: BatonServer): string[] {
  return server.exitedOnItsOwn()
    ? [`baton serve exited by itself; its log ends:\n${server.output().slice(-1500)}`]
    : [];
}
