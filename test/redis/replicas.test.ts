/**
 * The `replicas=N` URL option on real servers: a grant, an extension and a dict write are
 * answered only once N replicas acknowledged them (Redis WAIT). Without enough replicas a grant
 * fails with NotReplicatedError and is undone (the lock stays free), a dict write fails the same
 * way (also calls that share one script call), and a refusal is still the refusal. With a replica, every acknowledged write is on the
 * replica when the master is SIGKILLed and the replica promoted.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, NotReplicatedError } from '../../src/index.js';
import { type RedisHandle, redisCommand, startRedis } from '../support/services.js';
import { waitUntil } from '../support/wait.js';

describe('redis replicas=N', () => {
  let master: RedisHandle | undefined;
  let replica: RedisHandle | undefined;
  const tag = randomBytes(4).toString('hex');

  beforeAll(async () => {
    master = await startRedis();
    replica = await startRedis({ extraArgs: ['--replicaof', '127.0.0.1', String(master.port)] });
    await waitUntil(
      async () => (await redisCommand(master!.port, ['INFO', 'replication'])).includes('state=online'),
      'the replica in sync',
    );
  });
  afterAll(async () => {
    await replica?.stop();
    await master?.stop();
  });

  it('without enough replicas a grant is undone and fails with NotReplicatedError; so does a dict write; a refusal stays a refusal', async () => {
    const c = await connect(`${master!.url}?replicas=2&replicasTimeoutMs=100&prefix=few-${tag}:`);
    const plain = await connect(`${master!.url}?prefix=few-${tag}:`);
    try {
      const err = await c
        .lock('L')
        .tryAcquire()
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NotReplicatedError);
      expect(err).toMatchObject({ code: 'backend_unavailable', retryable: true, acked: 1, wanted: 2 });
      expect((await plain.lock('L').inspect()).held).toBe(false); // undone
      await expect(c.dict('D').set('k', 1)).rejects.toBeInstanceOf(NotReplicatedError);
      // Concurrent calls share one script call (coalesce.ts): each still fails with NotReplicatedError.
      const together = await Promise.allSettled([1, 2, 3, 4].map((i) => c.dict('D').set(`k${i}`, i)));
      for (const r of together) {
        expect(r.status === 'rejected' && r.reason instanceof NotReplicatedError, String(r)).toBe(true);
      }
      // A refused grant is not a write: the lock held by another client is refused as usual.
      const held = await plain.lock('L').acquire();
      expect(await c.lock('L').tryAcquire()).toBeNull();
      const newer = await plain
        .dict('D')
        .set('k', 2, { fence: held })
        .then(() => held);
      await expect(
        c.dict('D').set('k', 3, { fence: { lock: 'L', fence: newer.fence - 1 } }),
      ).rejects.toMatchObject({
        code: 'stale_fence',
      });
      await held.release();
    } finally {
      await Promise.all([c.close(), plain.close()]);
    }
  });

  it('with the replica every acknowledged grant and write survives the master SIGKILLed and the replica promoted', async () => {
    const c = await connect(`${master!.url}?replicas=1&prefix=ok-${tag}:`);
    let acked = 0;
    const fences: number[] = [];
    try {
      for (let i = 0; i < 50; i++) {
        const lease = await c.lock('L').acquire();
        fences.push(lease.fence);
        await lease.extend();
        acked = await c.dict('D').incr('n', 1, { fence: lease });
        await lease.release();
      }
      // Concurrent unfenced increments share script calls (coalesce.ts); each answered one counts.
      const counts = await Promise.all(Array.from({ length: 20 }, () => c.dict('D').incr('m')));
      expect(Math.max(...counts)).toBe(20);
    } finally {
      await c.close();
    }
    await master!.kill();
    await redisCommand(replica!.port, ['REPLICAOF', 'NO', 'ONE']);
    const promoted = await connect(`${replica!.url}?prefix=ok-${tag}:`);
    try {
      expect(await promoted.dict('D').get('n')).toBe(acked);
      expect(await promoted.dict('D').get('m')).toBe(20);
      expect(acked).toBe(50);
      expect((await promoted.lock('L').inspect()).fence).toBe(fences.at(-1));
    } finally {
      await promoted.close();
    }
  });
});
