import { randomUUID } from 'node:crypto';
import { Etcd3 } from 'etcd3';
import { Cluster, Redis } from 'ioredis';
import { describe, expect, inject, it } from 'vitest';
import { etcdHosts, redisClusterNodes, startEtcdCluster, startRedis } from './services.js';

const prefix = (): string => `baton-test:${randomUUID()}:`;

async function withRedis<T>(url: string, use: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    return await use(redis);
  } finally {
    redis.disconnect();
  }
}

async function withEtcd<T>(hosts: string[], use: (etcd: Etcd3) => Promise<T>): Promise<T> {
  const etcd = new Etcd3({ hosts });
  try {
    return await use(etcd);
  } finally {
    etcd.close();
  }
}

describe('provided services', () => {
  it('single redis answers PING and SET/GET', async () => {
    await withRedis(inject('redisUrl'), async (redis) => {
      expect(await redis.ping()).toBe('PONG');
      const key = `${prefix()}k`;
      await redis.set(key, 'v');
      expect(await redis.get(key)).toBe('v');
    });
  });

  it('redis cluster is ok and serves keys on every master', async () => {
    const nodes = redisClusterNodes(inject('redisClusterUrl'));
    expect(nodes).toHaveLength(3);
    for (const node of nodes) {
      await withRedis(`redis://${node.host}:${node.port}`, async (redis) => {
        expect(await redis.cluster('INFO')).toContain('cluster_state:ok');
      });
    }
    const cluster = new Cluster(nodes, { redisOptions: { maxRetriesPerRequest: 1 } });
    try {
      const keys = Array.from({ length: 20 }, (_, i) => `${prefix()}${i}`);
      for (const key of keys) await cluster.set(key, key);
      for (const key of keys) expect(await cluster.get(key)).toBe(key);
    } finally {
      cluster.disconnect();
    }
  });

  it.each(['etcdUrl', 'etcdClusterUrl'] as const)('%s answers put/get', async (name) => {
    const hosts = etcdHosts(inject(name));
    expect(hosts).toHaveLength(name === 'etcdUrl' ? 1 : 3);
    await withEtcd(hosts, async (etcd) => {
      const key = `${prefix()}k`;
      await etcd.put(key).value('v');
      expect(await etcd.get(key).string()).toBe('v');
    });
  });
});

describe('own services', () => {
  it('redis with appendfsync always keeps a write across kill and restart on the same port', async () => {
    const redis = await startRedis({ appendonly: true, appendfsync: 'always' });
    try {
      const key = `${prefix()}durable`;
      await withRedis(redis.url, (client) => client.set(key, 'kept'));
      const { pid } = redis;
      await redis.kill();
      await redis.restart();
      expect(redis.pid).not.toBe(pid);
      await withRedis(redis.url, async (client) => {
        expect(await client.get(key)).toBe('kept');
      });
    } finally {
      await redis.stop();
    }
  });

  it('etcd cluster serves while a member is down, and the member rejoins and catches up', async () => {
    const cluster = await startEtcdCluster(3);
    try {
      const key = `${prefix()}k`;
      // A follower: killing the leader would stall writes for an election (and a client request
      // caught in it waits out etcd's 7 s request timeout).
      const leader = await cluster.leader();
      const down = cluster.members.find((member) => member !== leader)!;
      await down.kill();
      const upHosts = cluster.members.filter((member) => member !== down).flatMap((m) => etcdHosts(m.url));
      await withEtcd(upHosts, async (etcd) => {
        await etcd.put(key).value('written while down');
      });
      await down.restart();
      await withEtcd(etcdHosts(down.url), async (etcd) => {
        expect(await etcd.get(key).string()).toBe('written while down');
      });
    } finally {
      await cluster.stop();
    }
  });
});
