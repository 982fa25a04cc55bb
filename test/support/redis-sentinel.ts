/**
 * A real Sentinel deployment on free loopback ports, for failover tests: one master, `replicas`
 * replicas (2 by default) and `sentinels` sentinels (3, quorum 2), with a short
 * `down-after-milliseconds` (1000 ms by default) so a failover takes a few seconds.
 *
 * Every server is a `startRedis` process (so it can be SIGSTOPped through its pid, SIGKILLed and
 * restarted empty); the sentinels are `redis-server --sentinel` processes with their own config
 * file in a temp dir. Replicas sync diskless without delay, so they are in sync within
 * milliseconds of starting instead of Redis's default 5 s.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort, isPortClash } from './ports.js';
import { makeTempDir, removeTempDir, type ServerProcess, spawnServer } from './processes.js';
import { type RedisHandle, startRedis } from './redis.js';
import { redisCommand } from './resp.js';
import { ServerStartError, waitForServer, waitUntil } from './wait.js';

/** SentinelOptions shape a deployment. */
export interface SentinelOptions {
  readonly replicas?: number;
  readonly sentinels?: number;
  /** downAfterMs: `sentinel down-after-milliseconds` (1000 by default). */
  readonly downAfterMs?: number;
  /** failoverTimeoutMs: `sentinel failover-timeout` (4000 by default; a second failover of one master waits twice that). */
  readonly failoverTimeoutMs?: number;
  /**
   * attachWithCommand starts the replicas as masters and attaches them with `REPLICAOF` (instead
   * of `--replicaof`), so any server restarted later comes back a master, as a real one does
   * whose config file names no master (Sentinel cannot rewrite a dead server's file, and these
   * servers have none). With `--replicaof` (the default) a server that was first a replica
   * restarts as a replica of the first master, whatever role Sentinel gave it since.
   */
  readonly attachWithCommand?: boolean;
}

/** SentinelHandle controls a deployment started by `startSentinelDeployment`. */
export interface SentinelHandle {
  /** url is `redis+sentinel://127.0.0.1:S1/mymaster?sentinels=127.0.0.1:S2,…` (`?name=mymaster` for one sentinel): append options with `&`. */
  readonly url: string;
  /** servers are the Redis servers; servers[0] was the master at start. */
  readonly servers: readonly RedisHandle[];
  readonly sentinelPorts: readonly number[];
  readonly downAfterMs: number;
  /** masterPort asks the sentinels which server is the master (the port the majority names). */
  masterPort(): Promise<number>;
  /** server returns the handle of the server on `port`. */
  server(port: number): RedisHandle;
  /** waitForNewMaster resolves with the port of a master other than `oldPort`, once every sentinel names it. */
  waitForNewMaster(oldPort: number, timeoutMs?: number): Promise<number>;
  /** waitForReplicas resolves once the master (asked again at each poll) has every other server as an online replica caught up with it. */
  waitForReplicas(timeoutMs?: number): Promise<void>;
  /** stop stops every sentinel and server and removes their dirs. */
  stop(): Promise<void>;
}

const NAME = 'mymaster';

/** startSentinelDeployment starts the servers, then the sentinels, and resolves once every sentinel knows every replica and sentinel. */
export async function startSentinelDeployment(options: SentinelOptions = {}): Promise<SentinelHandle> {
  const replicaCount = options.replicas ?? 2;
  const sentinelCount = options.sentinels ?? 3;
  const downAfterMs = options.downAfterMs ?? 1000;
  const failoverTimeoutMs = options.failoverTimeoutMs ?? 4000;
  const quorum = Math.floor(sentinelCount / 2) + 1;
  const servers: RedisHandle[] = [];
  const sentinels: ServerProcess[] = [];
  const dirs: string[] = [];
  const sentinelPorts: number[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(sentinels.map((s) => s.stop('SIGTERM')));
    await Promise.all(servers.map((s) => s.stop()));
    await Promise.all(dirs.map(removeTempDir));
  };
  // Replication settings shared by every server (any of them may become master or replica).
  const common = [
    '--repl-diskless-sync',
    'yes',
    '--repl-diskless-sync-delay',
    '0',
    '--repl-ping-replica-period',
    '1',
  ];
  try {
    const master = await startRedis({ extraArgs: common });
    servers.push(master);
    const replicaof = ['--replicaof', '127.0.0.1', String(master.port)];
    const replicas = await Promise.all(
      Array.from({ length: replicaCount }, () =>
        startRedis({ extraArgs: options.attachWithCommand === true ? common : [...common, ...replicaof] }),
      ),
    );
    servers.push(...replicas);
    if (options.attachWithCommand === true) {
      await Promise.all(replicas.map((r) => redisCommand(r.port, ['REPLICAOF', ...replicaof.slice(1)])));
    }
    await waitForReplicasOf(master, replicaCount, 10_000);
    for (let i = 0; i < sentinelCount; i++) {
      const { proc, port, dir } = await startSentinel(master.port, quorum, downAfterMs, failoverTimeoutMs);
      sentinels.push(proc);
      sentinelPorts.push(port);
      dirs.push(dir);
    }
    await waitUntil(
      async () => {
        const infos = await Promise.all(sentinelPorts.map((p) => redisCommand(p, ['INFO', 'sentinel'])));
        return infos.every((i) => i.includes(`slaves=${replicaCount},sentinels=${sentinelCount}`));
      },
      'every sentinel seeing every replica and sentinel',
      { timeoutMs: 20_000 },
    );
  } catch (err) {
    await stop();
    throw err;
  }
  const [first, ...rest] = sentinelPorts.map((p) => `127.0.0.1:${p}`);
  // Always with a query, so callers append options with '&'.
  const query = rest.length > 0 ? `sentinels=${rest.join(',')}` : `name=${NAME}`;
  const url = `redis+sentinel://${first}/${NAME}?${query}`;
  const masterPorts = async (): Promise<number[]> =>
    Promise.all(
      sentinelPorts.map(async (p) => {
        const info = await redisCommand(p, ['INFO', 'sentinel']).catch(() => '');
        return Number(/address=[^:,]+:(\d+)/.exec(info)?.[1] ?? 0);
      }),
    );
  const server = (port: number): RedisHandle => {
    const found = servers.find((s) => s.port === port);
    if (!found) throw new Error(`no server of this deployment on port ${port}`);
    return found;
  };
  const masterPort = async (): Promise<number> => {
    const counts = new Map<number, number>();
    for (const p of await masterPorts()) counts.set(p, (counts.get(p) ?? 0) + 1);
    return [...counts].sort((a, b) => b[1] - a[1])[0]![0];
  };
  return {
    url,
    servers,
    sentinelPorts,
    downAfterMs,
    masterPort,
    server,
    async waitForNewMaster(oldPort, timeoutMs = 30_000) {
      let found = 0;
      await waitUntil(
        async () => {
          const ports = await masterPorts();
          found = ports[0]!;
          return found !== oldPort && found !== 0 && ports.every((p) => p === found);
        },
        `sentinels naming a master other than 127.0.0.1:${oldPort}`,
        { timeoutMs },
      );
      return found;
    },
    async waitForReplicas(timeoutMs = 30_000) {
      // The master is asked again at each poll: a late sentinel may still be failing over.
      await waitForReplicasOf(async () => server(await masterPort()), servers.length - 1, timeoutMs);
    },
    stop,
  };
}

/**
 * waitForReplicasOf waits until `master` reports `count` online replicas, each at least at an
 * offset the master had reported at an earlier poll. Not "equal to the master's offset now": the
 * sentinels publish their hello on the master every 2 s, so its offset keeps moving and a
 * replica's acknowledged offset (sent once a second) trails it by a message at most polls.
 */
export async function waitForReplicasOf(
  master: RedisHandle | (() => Promise<RedisHandle>),
  count: number,
  timeoutMs: number,
): Promise<void> {
  let target: { port: number; offset: number } | undefined;
  let last = '';
  let port = 0;
  await waitUntil(
    async () => {
      port = (typeof master === 'function' ? await master().catch(() => undefined) : master)?.port ?? 0;
      if (port === 0) return false;
      const info = await redisCommand(port, ['INFO', 'replication']).catch(() => '');
      last = info;
      if (!info.includes('role:master')) return false;
      const offset = Number(/master_repl_offset:(\d+)/.exec(info)?.[1] ?? Number.NaN);
      const online = [...info.matchAll(/slave\d+:[^\r\n]*state=online,offset=(\d+)/g)].map((m) =>
        Number(m[1]),
      );
      const caughtUp =
        target?.port === port && online.length >= count && online.every((o) => o >= target!.offset);
      if (target?.port !== port) target = { port, offset };
      return caughtUp;
    },
    `${count} replicas in sync with the master`,
    { timeoutMs },
  ).catch((err: unknown) => {
    throw new Error(
      `${(err as Error).message} (127.0.0.1:${port}); last INFO replication: ${last.replace(/\r\n/g, ' ')}`,
    );
  });
}

async function startSentinel(
  masterPort: number,
  quorum: number,
  downAfterMs: number,
  failoverTimeoutMs: number,
): Promise<{ proc: ServerProcess; port: number; dir: string }> {
  const dir = await makeTempDir('sentinel');
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const conf = join(dir, 'sentinel.conf');
    await writeFile(
      conf,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `sentinel monitor ${NAME} 127.0.0.1 ${masterPort} ${quorum}`,
        `sentinel down-after-milliseconds ${NAME} ${downAfterMs}`,
        `sentinel failover-timeout ${NAME} ${failoverTimeoutMs}`,
        `sentinel parallel-syncs ${NAME} 2`,
        '',
      ].join('\n'),
    );
    const proc = await spawnServer('redis-server', [conf, '--sentinel']);
    try {
      await waitForServer(proc, async () => (await redisCommand(port, ['PING'])) === 'PONG', {
        what: `redis sentinel on 127.0.0.1:${port}`,
      });
      return { proc, port, dir };
    } catch (err) {
      await proc.stop('SIGKILL');
      if (!(attempt < 3 && err instanceof ServerStartError && isPortClash(err.output))) {
        await removeTempDir(dir);
        throw err;
      }
    }
  }
}
