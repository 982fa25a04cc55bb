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
import { Redis } from 'ioredis';
import type { ConnectTarget } from '../../src/index.js';
import { batonEtcdUrl } from '../etcd/helpers.js';
import { redlockUrl } from '../redlock/helpers.js';
import { startSentinelDeployment } from '../support/redis-sentinel.js';
import { untilSucceeds } from '../support/retry.js';
import {
  type EtcdClusterHandle,
  type RedisHandle,
  redisCommand,
  startEtcdCluster,
  startRedis,
  startRedisCluster,
} from '../support/services.js';
import { waitUntil } from '../support/wait.js';
import type { LossWindow, LostData } from './history.js';
import { type BatonServer, startBatonServer } from './server.js';

/**
 * BackendFault is one kind of fault in a backend; `inject` applies it, heals it, and names its
 * target, with what it proved lost when it can lose acknowledged data.
 */
export interface BackendFault {
  readonly kind: string;
  inject(random: () => number, names: FleetNames): Promise<string | FaultOutcome>;
}

/** FaultOutcome names a fault's target and what its canaries proved lost (history.ts LostData). */
export interface FaultOutcome {
  readonly target: string;
  readonly lost?: LostData;
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

/** Frozen SIGSTOPs servers and SIGCONTs them, each once; `thawAll` wakes whatever is still stopped. */
/**
 * replicaSeenDown resolves once every sentinel (on `sentinelPorts`) flags the replica on
 * `port` subjectively down (`s_down` in SENTINEL REPLICAS), so that none would promote it.
 */
async function replicaSeenDown(
  sentinelPorts: readonly number[],
  port: number,
  timeoutMs: number,
): Promise<void> {
  const sentinels = sentinelPorts.map(
    (p) =>
      new Redis({
        host: '127.0.0.1',
        port: p,
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      }),
  );
  const flagged = async (sentinel: Redis): Promise<boolean> => {
    const replicas = (await sentinel.call('SENTINEL', 'REPLICAS', 'mymaster').catch(() => [])) as string[][];
    const entry = replicas.find((r) => r[r.indexOf('port') + 1] === String(port));
    return (entry?.[entry.indexOf('flags') + 1] ?? '').split(',').includes('s_down');
  };
  try {
    await waitUntil(
      async () => (await Promise.all(sentinels.map(flagged))).every(Boolean),
      `every sentinel flags replica :${port} down`,
      { timeoutMs, intervalMs: 100 },
    );
  } finally {
    for (const sentinel of sentinels) sentinel.disconnect();
  }
}

class Frozen {
  readonly #stopped = new Set<RedisHandle>();
  stop(server: RedisHandle): void {
    process.kill(server.pid, 'SIGSTOP');
    this.#stopped.add(server);
  }
  thaw(server: RedisHandle): void {
    if (this.#stopped.delete(server)) process.kill(server.pid, 'SIGCONT');
  }
  thawAll(): void {
    for (const server of [...this.#stopped]) this.thaw(server);
  }
}

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
  const frozen = new Frozen();
  frozen.stop(server);
  try {
    await promoted();
    await sleep(between(random, 0, 1000));
  } finally {
    frozen.thawAll();
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

/**
 * stopBehind SIGSTOPs `replica` and closes, on the master, its replication connection, so nothing
 * the master writes from now on reaches it (the connection is found by the replica's own address
 * of it, read first). A replica only SIGSTOPped does not fall behind on loopback: the kernel
 * buffers what the master sends and the replica reads it all when it wakes. Throws if the link
 * cannot be cut (it reconnected each time in between).
 */
async function stopBehind(frozen: Frozen, masterPort: number, replica: RedisHandle): Promise<void> {
  for (let attempt = 1; attempt <= 5; attempt++) {
    const list = await redisCommand(replica.port, ['CLIENT', 'LIST', 'TYPE', 'master']);
    const link = /laddr=(\S+)/.exec(list)?.[1];
    if (link !== undefined) {
      frozen.stop(replica);
      if ((await redisCommand(masterPort, ['CLIENT', 'KILL', 'ADDR', link]).catch(() => '0')) === '1') return;
      frozen.thaw(replica);
    }
    await sleep(200);
  }
  throw new Error(`could not cut the replication link of 127.0.0.1:${replica.port} to :${masterPort}`);
}

/** Canary is a key planted beside a run's lock or dict (same hash slot) to find out whether a fault lost data. */
interface Canary {
  readonly of: keyof FleetNames;
  readonly port: number;
  readonly key: string;
  readonly value: string;
}

/**
 * plantCanaries SETs a canary beside the lock and beside the dict, each on the master that serves
 * it (`masterFor`), and waits until `acks` replicas have acknowledged it (WAIT, as `replicas=N`
 * does); throws when fewer do within 5 s.
 */
async function plantCanaries(
  names: FleetNames,
  masterFor: (name: string) => Promise<number>,
  acks: number,
): Promise<Canary[]> {
  return Promise.all(
    (['lock', 'dict'] as const).map(async (of) => {
      const port = await masterFor(names[of]);
      const key = `fleet-canary:{${names[of]}}`;
      const value = randomBytes(6).toString('hex');
      const client = new Redis({
        host: '127.0.0.1',
        port,
        lazyConnect: true,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      });
      client.on('error', () => {});
      try {
        await client.connect();
        await client.set(key, value);
        const got = acks === 0 ? 0 : await client.wait(acks, 5_000);
        if (got < acks) throw new Error(`canary ${key} acknowledged by ${got} of ${acks} replicas`);
      } finally {
        client.disconnect();
      }
      return { of, port, key, value };
    }),
  );
}

/**
 * lostCanaries reads each canary back from the master that serves it now and returns, for each one
 * that is gone, `window` as its store's proven loss.
 */
async function lostCanaries(
  canaries: readonly Canary[],
  masterFor: (name: string) => Promise<number>,
  names: FleetNames,
  window: LossWindow,
): Promise<LostData | undefined> {
  const lost: { lock?: LossWindow; dict?: LossWindow } = {};
  for (const c of canaries) {
    const value = await redisCommand(await masterFor(names[c.of]), ['GET', c.key]);
    if (value !== c.value) lost[c.of] = window;
  }
  return lost.lock === undefined && lost.dict === undefined ? undefined : lost;
}

/** describeLoss says in a fault's target what its canaries showed. */
function describeLoss(lost: LostData | undefined): string {
  if (lost === undefined) return 'canaries kept: nothing acknowledged lost';
  return `canaries lost (${Object.keys(lost).join(' and ')}): acknowledged data lost`;
}

async function sentinelReplicas(): Promise<FleetBackend> {
  const dep = await startSentinelDeployment({
    replicas: 2,
    sentinels: 3,
    downAfterMs: 1000,
    attachWithCommand: true,
  });
  const masterFor = (): Promise<number> => dep.masterPort();
  // Each fault ends once every server is an online replica of the (new) master again.
  const settled = (): Promise<void> =>
    waitUntil(
      async () => (await onlineReplicas(await dep.masterPort())) === dep.servers.length - 1,
      'every other server an online replica of the master',
      { timeoutMs: FAILOVER_TIMEOUT_MS, intervalMs: 100 },
    );
  // master-freeze and master-kill aim at the current master, wait for the sentinels to promote a
  // replica and heal the old master (Sentinel makes it a replica of the new one).
  const failover = async (
    random: () => number,
    how: (server: RedisHandle, promoted: () => Promise<void>, random: () => number) => Promise<void>,
  ): Promise<string> => {
    const port = await dep.masterPort();
    const promoted = async (): Promise<void> => {
      await dep.waitForNewMaster(port, FAILOVER_TIMEOUT_MS);
    };
    await how(dep.server(port), promoted, random);
    await settled();
    return `master :${port} → :${await dep.masterPort()}`;
  };
  // replica-lag-promoted: one replica stopped and cut off, so it misses what the master writes
  // (and the other replica acknowledges) for 0.5–1.5 s; then the other replica is stopped past
  // down-after (Sentinel never picks a replica it sees down), the master SIGKILLed and the
  // lagging replica woken: it is the only candidate, and is promoted without those writes.
  const lagPromoted = async (random: () => number, names: FleetNames): Promise<FaultOutcome> => {
    const port = await dep.masterPort();
    const master = dep.server(port);
    const replicas = dep.servers.filter((s) => s.port !== port);
    const i = Math.floor(random() * replicas.length);
    const lag = replicas[i]!;
    const other = replicas[(i + 1) % replicas.length]!;
    const since = Date.now();
    // Everything acknowledged before `since` is on both replicas once this canary is.
    await plantCanaries(names, masterFor, dep.servers.length - 1);
    const frozen = new Frozen();
    let canaries: Canary[] = [];
    let killedAt = 0;
    let promoted = 0;
    try {
      await stopBehind(frozen, port, lag);
      await sleep(between(random, 500, 1500));
      canaries = await plantCanaries(names, masterFor, 1);
      frozen.stop(other);
      // Sentinel never picks a replica it flags down, but a busy machine can delay the flag past
      // any fixed wait: wait for every sentinel to flag it (a CI run beside other work saw the
      // frozen replica promoted after down-after + 500 ms).
      await replicaSeenDown(dep.sentinelPorts, other.port, FAILOVER_TIMEOUT_MS);
      killedAt = Date.now();
      await master.kill();
      frozen.thaw(lag);
      promoted = await dep.waitForNewMaster(port, FAILOVER_TIMEOUT_MS);
    } finally {
      frozen.thawAll();
    }
    await sleep(between(random, 0, 1000));
    await master.restart();
    await settled();
    const now = await dep.masterPort();
    const lost = await lostCanaries(canaries, masterFor, names, { since, until: killedAt });
    return {
      // `now` can differ from `promoted`: Sentinel may fail over again before the canaries are read.
      target: `replica :${lag.port} behind, promoted :${promoted} in place of :${port} (now :${now}); ${describeLoss(lost)}`,
      lost,
    };
  };
  // master-restart-empty: the master SIGKILLed and restarted at once, empty (no persistence),
  // before Sentinel sees it down: it comes back a master and its replicas resync from it — what
  // real Redis does, and what Redis's docs warn of. Should the restart take past down-after, the
  // sentinels promote a replica instead; the canaries tell which happened.
  const restartEmpty = async (_random: () => number, names: FleetNames): Promise<FaultOutcome> => {
    const port = await dep.masterPort();
    const master = dep.server(port);
    const canaries = await plantCanaries(names, masterFor, dep.servers.length - 1);
    const killedAt = Date.now();
    await master.kill();
    await master.restart();
    const downMs = Date.now() - killedAt;
    await settled();
    const now = await dep.masterPort();
    const lost = await lostCanaries(canaries, masterFor, names, { since: 0, until: killedAt });
    return {
      target: `master :${port} back empty after ${downMs} ms, master now :${now}; ${describeLoss(lost)}`,
      lost,
    };
  };
  return {
    name: 'redis-sentinel-replicas',
    target: `${dep.url}&replicas=1&prefix=${prefix()}`,
    faults: [
      { kind: 'master-freeze', inject: (random) => failover(random, freezeThenWake) },
      { kind: 'master-kill', inject: (random) => failover(random, killThenRestart) },
      { kind: 'replica-lag-promoted', inject: lagPromoted },
      { kind: 'master-restart-empty', inject: restartEmpty },
    ],
    describe: `Sentinel: 1 master, 2 replicas, 3 sentinels, down-after ${dep.downAfterMs} ms, no persistence (${dep.url}); workers use replicas=1`,
    problems: () => [],
    stop: () => dep.stop().catch(() => {}),
  };
}

async function clusterReplicas(): Promise<FleetBackend> {
  const cluster = await startRedisCluster(3, { replicas: 1, nodeTimeoutMs: 1000 });
  const slotOf = async (name: string): Promise<number> =>
    Number(await redisCommand(cluster.nodes[0]!.port, ['CLUSTER', 'KEYSLOT', `{${name}}`]));
  const masterFor = async (name: string): Promise<number> =>
    (await cluster.masterOf(await slotOf(name))).port;
  // Each fault aims at the master serving the lock's slot or the dict's (at random) and ends once
  // the cluster is ok and every master has its replica online.
  const aim = async (random: () => number, names: FleetNames) => {
    const aimAt: keyof FleetNames = random() < 0.5 ? 'lock' : 'dict';
    const slot = await slotOf(names[aimAt]);
    return { aimAt, slot, old: await cluster.masterOf(slot) };
  };
  const promotedIn = (slot: number, old: RedisHandle) => async (): Promise<void> => {
    await waitUntil(
      async () => {
        const now = await cluster.masterOf(slot).catch(() => old);
        return now !== old;
      },
      `a replica promoted in place of :${old.port}`,
      { timeoutMs: FAILOVER_TIMEOUT_MS, intervalMs: 100 },
    );
  };
  const settled = async (): Promise<void> => {
    await cluster.waitForOk();
    await waitUntil(
      async () => {
        const counts = await Promise.all(cluster.nodes.map((n) => onlineReplicas(n.port)));
        return counts.filter((c) => c >= 1).length === cluster.nodes.length / 2;
      },
      'every master with an online replica',
      { timeoutMs: FAILOVER_TIMEOUT_MS, intervalMs: 100 },
    );
  };
  // master-freeze and master-kill: wait for the cluster to promote the replica, heal the old
  // master (it rejoins as a replica).
  const failover = async (
    random: () => number,
    names: FleetNames,
    how: (server: RedisHandle, promoted: () => Promise<void>, random: () => number) => Promise<void>,
  ): Promise<string> => {
    const { aimAt, slot, old } = await aim(random, names);
    await how(old, promotedIn(slot, old), random);
    await settled();
    return `${aimAt} master :${old.port} → :${(await cluster.masterOf(slot)).port}`;
  };
  // replica-lag-promoted: the master's only replica stopped and cut off for 0.5–1.5 s (with
  // replicas=1 nothing written to that master meanwhile is acknowledged), then the master
  // stopped, the replica woken and promoted with CLUSTER FAILOVER FORCE, behind; the old master
  // woken rejoins as its replica. A canary written unacknowledged while it lagged shows that the
  // promoted replica did lag; nothing acknowledged may be lost.
  const lagPromoted = async (random: () => number, names: FleetNames): Promise<string> => {
    const { aimAt, slot, old } = await aim(random, names);
    const replica = await replicaOf(old);
    const frozen = new Frozen();
    // Its own key and value: a restart-empty fault's canary may sit under the shared one.
    const unacknowledged = `fleet-lag-canary:{${names[aimAt]}}`;
    const written = randomBytes(6).toString('hex');
    try {
      await stopBehind(frozen, old.port, replica);
      await sleep(between(random, 500, 1500));
      await redisCommand(old.port, ['SET', unacknowledged, written]);
      frozen.stop(old);
      frozen.thaw(replica);
      await untilSucceeds(async () => {
        await redisCommand(replica.port, ['CLUSTER', 'FAILOVER', 'FORCE']);
      });
      await promotedIn(slot, old)();
    } finally {
      frozen.thawAll();
    }
    await settled();
    let canary = '';
    await untilSucceeds(async () => {
      canary = await redisCommand(replica.port, ['GET', unacknowledged]);
    });
    const behind =
      canary !== written ? 'behind (the unacknowledged canary is gone)' : 'NOT behind (it has the canary)';
    return `${aimAt} replica :${replica.port} promoted in place of :${old.port}, ${behind}`;
  };
  // master-restart-empty: the master of the lock's or the dict's slot SIGKILLed and restarted at
  // once, empty; it keeps nodes.conf, so it comes back the master of its slots and its replica
  // resyncs from it, unless the cluster promoted the replica first (the canaries tell).
  const restartEmpty = async (random: () => number, names: FleetNames): Promise<FaultOutcome> => {
    const { aimAt, slot, old } = await aim(random, names);
    const canaries = await plantCanaries(names, masterFor, 1);
    const killedAt = Date.now();
    await old.kill();
    await old.restart();
    const downMs = Date.now() - killedAt;
    await settled();
    const lost = await lostCanaries(canaries, masterFor, names, { since: 0, until: killedAt });
    return {
      target: `${aimAt} master :${old.port} back empty after ${downMs} ms, slot now on :${(await cluster.masterOf(slot)).port}; ${describeLoss(lost)}`,
      lost,
    };
  };
  /** replicaOf finds the node replicating `master`. */
  const replicaOf = async (master: RedisHandle): Promise<RedisHandle> => {
    for (const node of cluster.nodes) {
      const info = await redisCommand(node.port, ['INFO', 'replication']).catch(() => '');
      if (info.includes('role:slave') && info.includes(`master_port:${master.port}\r`)) return node;
    }
    throw new Error(`no replica of :${master.port}`);
  };
  return {
    name: 'redis-cluster-replicas',
    target: `${cluster.url}?replicas=1&prefix=${prefix()}`,
    faults: [
      { kind: 'master-freeze', inject: (random, names) => failover(random, names, freezeThenWake) },
      { kind: 'master-kill', inject: (random, names) => failover(random, names, killThenRestart) },
      { kind: 'replica-lag-promoted', inject: lagPromoted },
      { kind: 'master-restart-empty', inject: restartEmpty },
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
