/**
 * Release on etcd answers once the key is deleted and revokes the key's lease in the background:
 * the next contender is granted at once, the lease is gone soon after, and `close()` waits for
 * revokes still running, so a client that releases and closes leaves no lease behind.
 */
import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type Baton, connect } from '../../src/index.js';
import { untilSucceeds } from '../support/retry.js';
import { etcdHosts } from '../support/services.js';
import { batonEtcdUrl, randomPrefix } from './helpers.js';

const prefix = randomPrefix();
let etcd: Etcd3;

/** leaseOf reads the lease id of the one contender key under the lock `name` (baton's layout). */
async function leaseOf(name: string): Promise<string> {
  const kvs = (await etcd.getAll().prefix(`${prefix}/locks/${name}/`).exec()).kvs;
  expect(kvs).toHaveLength(1);
  return kvs[0]!.lease;
}

/** ttlOf is the lease's remaining TTL in seconds, -1 once it is gone. */
async function ttlOf(lease: string): Promise<number> {
  const res = await etcd.leaseClient.leaseTimeToLive({ ID: lease });
  return Number(res.TTL);
}

describe('etcd release', () => {
  beforeAll(() => {
    etcd = new Etcd3({ hosts: etcdHosts(inject('etcdUrl')) });
  });
  afterAll(() => etcd.close());

  it('frees the lock at once and revokes its lease soon after', async () => {
    const baton: Baton = await connect(batonEtcdUrl(inject('etcdUrl'), prefix));
    try {
      const lease = await baton.lock('soon', { ttlMs: 30_000 }).acquire();
      const id = await leaseOf('soon');
      expect(await ttlOf(id)).toBeGreaterThan(0);
      expect(await lease.release()).toBe(true);
      expect((await baton.lock('soon').inspect()).held).toBe(false);
      await untilSucceeds(
        async () => {
          if ((await ttlOf(id)) !== -1) throw new Error('lease still live');
        },
        { timeoutMs: 5_000, intervalMs: 20 },
      );
    } finally {
      await baton.close();
    }
  });

  it('close waits for revokes in flight: releases then close leave no lease behind', async () => {
    // Many releases, then close at once: without close waiting, some revokes are not sent yet.
    const baton = await connect(batonEtcdUrl(inject('etcdUrl'), prefix));
    const locks = await Promise.all(
      Array.from({ length: 20 }, (_, i) => baton.lock(`closing-${i}`, { ttlMs: 30_000 }).acquire()),
    );
    const permits = await baton.semaphore('closing-sem', { permits: 5 }).acquire();
    const ids = await Promise.all(locks.map((_, i) => leaseOf(`closing-${i}`)));
    const poolKeys = (await etcd.getAll().prefix(`${prefix}/pools/semaphore/closing-sem/`).exec()).kvs;
    expect(poolKeys).toHaveLength(1);
    ids.push(poolKeys[0]!.lease);
    await Promise.all([...locks, permits].map((l) => l.release()));
    await baton.close();
    const ttls = await Promise.all(ids.map(ttlOf));
    expect(ttls).toEqual(ids.map(() => -1));
  });
});
