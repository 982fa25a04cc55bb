/**
 * Failover on a real Redis Cluster with replicas (3 masters, 3 replicas, cluster-node-timeout
 * 1000 ms). The master serving a lock's slot is restarted empty (fences must still grow, and the
 * old holder's fenced write is refused after the new holder wrote), then SIGKILLed for good: its
 * replica is promoted, every write acknowledged with `replicas=1` is still there, fences still
 * grow, and `replicas=1` refuses grants while the promoted master has no replica of its own.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Lease, NotReplicatedError } from '../../src/index.js';
import { untilSucceeds } from '../support/retry.js';
import { type RedisClusterHandle, redisCommand, startRedisCluster } from '../support/services.js';
import { waitUntil } from '../support/wait.js';

describe('redis cluster with replicas: failover', () => {
  let cluster: RedisClusterHandle | undefined;
  const prefix = `cf-${randomBytes(4).toString('hex')}:`;

  beforeAll(async () => {
    cluster = await startRedisCluster(3, { replicas: 1, nodeTimeoutMs: 1000 });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  const slotOf = async (name: string) =>
    Number(await redisCommand(cluster!.nodes[0]!.port, ['CLUSTER', 'KEYSLOT', name]));

  /** grantAgain retries tryAcquire until it is answered with a grant (the slot may be moving). */
  async function grantAgain(url: string, name: string): Promise<Lease> {
    // Right after a failover a node can still report the cluster down, which fails connecting
    // (seen in a fresh-clone run: "not connected within 5000 ms").
    let c!: Awaited<ReturnType<typeof connect>>;
    await untilSucceeds(
      async () => {
        c = await connect(url);
      },
      { timeoutMs: 30_000 },
    );
    let lease: Lease | null = null;
    try {
      await waitUntil(
        async () => {
          lease = await c
            .lock(name)
            .tryAcquire({ ttlMs: 30_000 })
            .catch(() => null);
          return lease !== null;
        },
        `a grant of ${name}`,
        { timeoutMs: 20_000, intervalMs: 100 },
      );
      return lease!;
    } finally {
      await c.close();
    }
  }

  it('a master restarted empty still issues larger fences; the old holder is refused after the new one wrote', async () => {
    const url = `${cluster!.url}?prefix=${prefix}`;
    const a = await connect(url);
    try {
      const before = await a.lock('R').acquire({ ttlMs: 1000 });
      await a.dict('D').set('k', 'A', { fence: before });
      await cluster!.waitForReplicas();
      const master = await cluster!.masterOf(await slotOf('R'));
      await master.kill();
      await master.restart();
      const after = await grantAgain(url, 'R');
      expect(after.fence).toBeGreaterThan(before.fence);
      await a.dict('D').set('k', 'B', { fence: { lock: 'R', fence: after.fence } });
      await expect(
        a.dict('D').set('k', 'A2', { fence: { lock: 'R', fence: before.fence } }),
      ).rejects.toMatchObject({
        code: 'stale_fence',
      });
    } finally {
      await a.close();
    }
  }, 60_000);

  it('the master SIGKILLed: the promoted replica has every replicas=1 write, fences grow, replicas=1 waits for a replica of the new master', async () => {
    await cluster!.waitForOk();
    await cluster!.waitForReplicas();
    const url = `${cluster!.url}?prefix=${prefix}&replicas=1&replicasTimeoutMs=300`;
    const a = await connect(url);
    let last = 0;
    let n = 0;
    try {
      for (let i = 0; i < 20; i++) {
        const lease = await a.lock('K').acquire({ ttlMs: 30_000 });
        last = lease.fence;
        n = await a.dict('K').incr('n', 1, { fence: lease });
        await lease.release();
      }
    } finally {
      await a.close();
    }
    const master = await cluster!.masterOf(await slotOf('K'));
    await master.kill();
    const after = await grantAgain(`${cluster!.url}?prefix=${prefix}`, 'K'); // replicas=0: the promoted replica grants
    expect(after.fence).toBeGreaterThan(last);
    // Right after a failover a node can still report the cluster down, which fails connecting.
    let b: Awaited<ReturnType<typeof connect>> | undefined;
    await untilSucceeds(async () => {
      b = await connect(url);
    });
    try {
      expect(await b!.dict('K').get('n')).toBe(n);
      // The promoted master has no replica of its own yet: a replicas=1 write there is refused.
      await expect(b!.dict('K').set('m', 1)).rejects.toBeInstanceOf(NotReplicatedError);
    } finally {
      await b?.close();
    }
  }, 60_000);
});
