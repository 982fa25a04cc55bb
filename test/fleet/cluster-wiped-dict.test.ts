/**
 * Found by the master-restart-empty nemesis's design (issue 18), pinned on a real Redis Cluster
 * with replicas (3 masters, 3 replicas, node timeout 1000 ms): when the master serving a dict's
 * slot restarts empty — without a failover, so its replica resyncs from it and `replicas=1` does
 * not help — and the lock lives on another master, the dict's fence table is gone while the
 * lock's fence counter is not. Before the fix a holder whose lease expired before a newer holder
 * wrote then had its write, fenced below the newer holder's acknowledged write, accepted: the
 * cluster client's issuance check (the fence is at most the lock's counter) passed, and the
 * emptied dict had no higher fence to compare with (this test failed: 'accepted').
 * Now the lock's slot records the dicts sent the lock's fences (fence_issued.lua), and a
 * recorded dict with no fence on record refuses fences below the counter.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Baton, connect } from '../../src/index.js';
import { untilSucceeds } from '../support/retry.js';
import { type RedisClusterHandle, redisCommand, startRedisCluster } from '../support/services.js';
import { waitUntil } from '../support/wait.js';

describe('redis cluster: the dict’s master restarted empty, the lock’s master intact', () => {
  let cluster: RedisClusterHandle | undefined;
  beforeAll(async () => {
    cluster = await startRedisCluster(3, { replicas: 1, nodeTimeoutMs: 1000 });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  const slotOf = async (name: string): Promise<number> =>
    Number(await redisCommand(cluster!.nodes[0]!.port, ['CLUSTER', 'KEYSLOT', `{${name}}`]));

  it('a write fenced below an acknowledged newer fence is refused after the wipe', async () => {
    // A lock and a dict served by two different masters.
    let lockName = '';
    let dictName = '';
    for (let i = 0; lockName === ''; i++) {
      const l = `L${i}`;
      const d = `D${i}`;
      const [lm, dm] = await Promise.all([
        cluster!.masterOf(await slotOf(l)),
        cluster!.masterOf(await slotOf(d)),
      ]);
      if (lm !== dm) [lockName, dictName] = [l, d];
    }
    const url = `${cluster!.url}?prefix=wd-${randomBytes(3).toString('hex')}:&replicas=1`;
    const client = async (): Promise<Baton> => {
      let c: Baton | undefined;
      await untilSucceeds(
        async () => {
          c = await connect(url);
        },
        { timeoutMs: 30_000 },
      );
      return c!;
    };
    const a = await client();
    const b = await client();
    try {
      const stale = await a.lock(lockName).acquire({ ttlMs: 1000 });
      await new Promise((r) => setTimeout(r, 1_200)); // A's lease expires (A is paused, say)
      const newer = await b.lock(lockName).acquire({ ttlMs: 60_000 });
      expect(newer.fence).toBeGreaterThan(stale.fence);
      await b.dict(dictName).set('k', 'B', { fence: newer }); // acknowledged by the dict's replica

      const dictMaster = await cluster!.masterOf(await slotOf(dictName));
      await dictMaster.kill();
      await dictMaster.restart(); // no persistence: back empty, still the master of its slots
      await cluster!.waitForOk();
      await waitUntil(
        async () => (await redisCommand(dictMaster.port, ['INFO', 'replication'])).includes('state=online'),
        'the replica resynced from the emptied master',
        { timeoutMs: 30_000 },
      );
      // The precondition: the acknowledged write is gone (no failover happened in between).
      let value: unknown = 'unread';
      await untilSucceeds(
        async () => {
          value = await a.dict(dictName).get('k');
        },
        { timeoutMs: 30_000 },
      );
      expect(value, 'the dict master came back empty, without a failover').toBeUndefined();

      // The stale holder writes under its old fence: it must be refused.
      let outcome: unknown;
      await untilSucceeds(
        async () => {
          outcome = await a
            .dict(dictName)
            .set('k', 'A (stale)', { fence: stale })
            .then(() => 'accepted')
            .catch((err: unknown) => {
              if ((err as { code?: string }).code === 'backend_unavailable') throw err;
              return (err as { code?: string }).code;
            });
        },
        { timeoutMs: 30_000 },
      );
      expect(outcome).toBe('stale_fence');
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  }, 120_000);
});
