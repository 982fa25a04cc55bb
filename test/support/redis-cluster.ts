/**
 * A real Redis Cluster on free loopback ports, for tests: masters only, or with `replicas` replicas
 * per master (`startRedisCluster(3, { replicas: 1, nodeTimeoutMs: 1000 })`: 3 masters, 3
 * replicas, a replica promoted about 2 s after its master stops answering).
 *
 * Each node is a `startRedis({ cluster: true })` server, so any node can be killed and restarted
 * (it keeps its nodes.conf and rejoins). Slots are spread evenly, as `redis-cli --cluster create`
 * would, but without its fixed one-second waits. A master node reports `cluster_state:ok` no
 * sooner than 2 s after it started (Redis's CLUSTER_WRITABLE_DELAY), so a cluster takes ~2 s.
 */
import { type RedisHandle, startRedis } from './redis.js';
import { redisCommand } from './resp.js';
import { waitForServer, waitUntil } from './wait.js';

const SLOTS = 16384;

/** ClusterOptions shape a cluster. */
export interface ClusterOptions {
  /** replicas per master (0 by default). */
  readonly replicas?: number;
  /** nodeTimeoutMs: `cluster-node-timeout` (Redis's default, 15000, when omitted). */
  readonly nodeTimeoutMs?: number;
}

/** RedisClusterHandle controls a cluster started by `startRedisCluster`. */
export interface RedisClusterHandle {
  /** url is `redis+cluster://127.0.0.1:P1,127.0.0.1:P2,...`. */
  readonly url: string;
  /** nodes: the masters first (in slot order), then their replicas (replica i of master m at masters + m * replicas + i). */
  readonly nodes: readonly RedisHandle[];
  /** masterOf resolves with the node that serves `slot` now (asks each live node, majority answer not needed: CLUSTER SHARDS is not in 7.0). */
  masterOf(slot: number): Promise<RedisHandle>;
  /** waitForReplicas resolves once every master has its replicas online at its replication offset. */
  waitForReplicas(timeoutMs?: number): Promise<void>;
  /**
   * waitForOk resolves once every node reports `cluster_state:ok`, e.g. after `nodes[i].restart()`:
   * a restarted master answers PING at once but CLUSTERDOWN for ~2 s. Throws after 20 s.
   */
  waitForOk(): Promise<void>;
  /** stop stops every node (SIGTERM) and removes their data dirs. */
  stop(): Promise<void>;
}

/**
 * startRedisCluster starts `masters` cluster nodes, creates the cluster and resolves
 * once every node reports `cluster_state:ok`. On failure it stops what it started and throws, with
 * the nodes' log tails in the message.
 */
export async function startRedisCluster(
  masters = 3,
  options: ClusterOptions = {},
): Promise<RedisClusterHandle> {
  const perMaster = options.replicas ?? 0;
  const extraArgs =
    options.nodeTimeoutMs === undefined ? [] : ['--cluster-node-timeout', String(options.nodeTimeoutMs)];
  if (perMaster > 0) extraArgs.push('--repl-diskless-sync', 'yes', '--repl-diskless-sync-delay', '0');
  const started = await Promise.allSettled(
    Array.from({ length: masters * (1 + perMaster) }, () => startRedis({ cluster: true, extraArgs })),
  );
  const nodes = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const stop = async (): Promise<void> => {
    await Promise.all(nodes.map((node) => node.stop()));
  };
  const waitForOk = async (): Promise<void> => {
    await Promise.all(nodes.map(waitForClusterOk));
  };
  const waitForReplicas = async (timeoutMs = 20_000): Promise<void> => {
    await waitUntil(
      async () => {
        const infos = await Promise.all(
          nodes.map((n) => redisCommand(n.port, ['INFO', 'replication']).catch(() => '')),
        );
        return infos
          .filter((i) => i.includes('role:master'))
          .every((i) => {
            const offset = /master_repl_offset:(\d+)/.exec(i)?.[1];
            const online = [...i.matchAll(/slave\d+:[^\r\n]*state=online,offset=(\d+)/g)];
            return online.length >= perMaster && online.every((m) => m[1] === offset);
          });
      },
      'every cluster master with its replicas in sync',
      { timeoutMs },
    );
  };
  try {
    for (const result of started) if (result.status === 'rejected') throw result.reason;
    await createCluster(nodes.slice(0, masters), nodes.slice(masters));
    if (perMaster > 0) await attachReplicas(nodes.slice(0, masters), nodes.slice(masters), perMaster);
    await waitForOk();
    if (perMaster > 0) await waitForReplicas();
  } catch (err) {
    await stop();
    throw err;
  }
  const masterOf = async (slot: number): Promise<RedisHandle> => {
    for (const node of nodes) {
      const text = await redisCommand(node.port, ['CLUSTER', 'NODES']).catch(() => '');
      const mine = text.split('\n').find((l) => / myself,master /.test(l));
      if (mine && servesSlot(mine, slot)) return node;
    }
    throw new Error(`no live master claims slot ${slot}`);
  };
  const hosts = nodes.map((node) => `127.0.0.1:${node.port}`);
  return { url: `redis+cluster://${hosts.join(',')}`, nodes, masterOf, waitForReplicas, waitForOk, stop };
}

/** servesSlot tells whether a CLUSTER NODES line lists `slot` among its ranges. */
function servesSlot(line: string, slot: number): boolean {
  return line
    .split(' ')
    .slice(8)
    .some((range) => {
      const [from, to = from] = range.split('-').map(Number);
      return from !== undefined && slot >= from && slot <= (to ?? from);
    });
}

/** attachReplicas makes replica i of master m (spare[m * perMaster + i]) replicate it, once it knows the master. */
async function attachReplicas(
  masters: readonly RedisHandle[],
  spare: readonly RedisHandle[],
  perMaster: number,
): Promise<void> {
  const ids = await Promise.all(masters.map((m) => redisCommand(m.port, ['CLUSTER', 'MYID'])));
  await Promise.all(
    spare.map(async (replica, i) => {
      const id = ids[Math.floor(i / perMaster)]!;
      await waitUntil(
        async () => (await redisCommand(replica.port, ['CLUSTER', 'NODES'])).includes(id),
        `127.0.0.1:${replica.port} learning master ${id}`,
        { timeoutMs: 20_000 },
      );
      await redisCommand(replica.port, ['CLUSTER', 'REPLICATE', id]);
    }),
  );
}

/**
 * createCluster does what `redis-cli --cluster create` does for the masters, without its
 * one-second sleeps: contiguous slot ranges, distinct config epochs, then CLUSTER MEET (of the
 * masters and of the `spare` nodes that will become replicas).
 */
async function createCluster(
  nodes: readonly RedisHandle[],
  spare: readonly RedisHandle[] = [],
): Promise<void> {
  const perNode = Math.ceil(SLOTS / nodes.length);
  await Promise.all(
    nodes.map(async (node, i) => {
      const last = Math.min(SLOTS, (i + 1) * perNode) - 1;
      await redisCommand(node.port, ['CLUSTER', 'ADDSLOTSRANGE', String(i * perNode), String(last)]);
      await redisCommand(node.port, ['CLUSTER', 'SET-CONFIG-EPOCH', String(i + 1)]);
    }),
  );
  const [first, ...others] = nodes;
  for (const node of [...others, ...spare]) {
    await redisCommand(first!.port, [
      'CLUSTER',
      'MEET',
      '127.0.0.1',
      String(node.port),
      String(await busPort(node)),
    ]);
  }
}

/** busPort reads a node's cluster bus port from the "myself" line of CLUSTER NODES. */
async function busPort(node: RedisHandle): Promise<number> {
  const nodes = await redisCommand(node.port, ['CLUSTER', 'NODES']);
  const port = /^\S+ \S+@(\d+)\S* myself/m.exec(nodes)?.[1];
  if (port === undefined)
    throw new Error(`no bus port for 127.0.0.1:${node.port} in CLUSTER NODES:\n${nodes}`);
  return Number(port);
}

async function waitForClusterOk(node: RedisHandle): Promise<void> {
  const watched = { hasExited: () => false, output: () => node.output() };
  const ok = async (): Promise<boolean> =>
    (await redisCommand(node.port, ['CLUSTER', 'INFO'])).includes('cluster_state:ok');
  await waitForServer(watched, ok, { what: `redis cluster node 127.0.0.1:${node.port}`, timeoutMs: 20_000 });
}
