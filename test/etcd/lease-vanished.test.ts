/**
 * A contender paused past its lease's TTL between granting the lease and putting its key gets an
 * error from that put (etcd: "requested lease not found"). The 10-minute etcd fleet soak hit it
 * once: the acquire failed with InvalidArgumentError, as if the caller had passed bad input. The
 * contenders now recognise it (`leaseVanished`) and queue again with a fresh lease; this pins, on
 * a real etcd, that the error the client raises for such a put is the one they recognise and that
 * the transaction changed nothing.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { EtcdClient } from '../../src/backends/etcd/client.js';
import { leaseVanished } from '../../src/backends/etcd/errors.js';
import { put } from '../../src/backends/etcd/txn.js';
import { parseEtcdUrl } from '../../src/backends/etcd/url.js';
import { BatonError } from '../../src/index.js';
import { batonEtcdUrl } from './helpers.js';

describe('etcd: a put on a lease that is gone', () => {
  let client: EtcdClient;
  beforeAll(() => {
    client = new EtcdClient(parseEtcdUrl(new URL(batonEtcdUrl(inject('etcdUrl'))), {}));
  });
  afterAll(() => client.close());

  it('fails with an error leaseVanished recognises, and stores nothing', async () => {
    const lease = await client.grant(5);
    await client.revoke(lease.id); // as if the caller had been paused past the TTL
    const key = Buffer.from(`${client.keys.pingKey().toString()}-vanished`);
    const err = await client.txn('lock acquire', 'idempotent', { success: [put(key, 'x', lease.id)] }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(BatonError);
    expect(leaseVanished(err)).toBe(true);
    const read = await client.range('check', { key });
    expect(read.kvs).toHaveLength(0);
  });

  it('does not take other refusals for a vanished lease', async () => {
    // etcd refuses a transaction of more than 128 operations ("too many operations in txn request").
    const ops = Array.from({ length: 200 }, (_, i) => put(Buffer.from(`vanished-${i}`), 'x'));
    const err = await client.txn('too many', 'idempotent', { success: ops }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(BatonError);
    expect(leaseVanished(err)).toBe(false);
  });
});
