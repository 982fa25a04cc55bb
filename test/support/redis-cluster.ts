/**
 * A real Redis Cluster of masters without replicas, on free loopback ports, for tests.
 *
 * Each node is a `startRedis({ cluster: true })` server, so any node can be killed and restarted
 * (it keeps its nodes.conf and rejoins). Slots are spread evenly, as `redis-cli --cluster create`
 * would, but without its fixed one-second waits. A master node reports `cluster_state:ok` no
 * sooner than 2 s after it started (Redis's CLUSTER_WRITABLE_DELAY), so a cluster takes ~2 s.
 */
import { type RedisHandle, startRedis } from './redis.js';
import { redisCommand } from './resp.js';
import { waitForServer } from './wait.js';

const SLOTS = 16384;

/** RedisClusterHandle controls a cluster started by `startRedisCluster`. */
export interface RedisClusterHandle {
  /** url is `redis+cluster://127.0.0.1:P1,127.0.0.1:P2,...`. */
  readonly url: string;
  readonly nodes: readonly RedisHandle[];
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
export async function startRedisCluster(masters = 3): Promise<RedisClusterHandle> {
  const started = await Promise.allSettled(
    Array.from({ length: masters }, () => startRedis({ cluster: true })),
  );
  const nodes = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const stop = async (): Promise<void> => {
    await Promise.all(nodes.map((node) => node.stop()));
  };
  const waitForOk = async (): Promise<void> => {
    await Promise.all(nodes.map(waitForClusterOk));
  };
  try {
    for (const result of started) if (result.status === 'rejected') throw result.reason;
    await createCluster(nodes);
    await waitForOk();
  } catch (err) {
    await stop();
    throw err;
  }
  const hosts = nodes.map((node) => `127.0.0.1:${node.port}`);
  return { url: `redis+cluster://${hosts.join(',')}`, nodes, waitForOk, stop };
}

/**
 * createCluster does what `redis-cli --cluster create --cluster-replicas 0` does, without its
 * one-second sleeps: contiguous slot ranges, distinct config epochs, then CLUSTER MEET.
 */
async function createCluster(nodes: readonly RedisHandle[]): Promise<void> {
  const perNode = Math.ceil(SLOTS / nodes.length);
  await Promise.all(
    nodes.map(async (node, i) => {
      const last = Math.min(SLOTS, (i + 1) * perNode) - 1;
      await redisCommand(node.port, ['CLUSTER', 'ADDSLOTSRANGE', String(i * perNode), String(last)]);
      await redisCommand(node.port, ['CLUSTER', 'SET-CONFIG-EPOCH', String(i + 1)]);
    }),
  );
  const [first, ...others] = nodes;
  for (const node of others) {
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
