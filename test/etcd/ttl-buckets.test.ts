/**
 * Entry TTLs share leases: many entries written by one client with TTLs ending in the same second
 * go on one etcd lease, not one lease each.
 */
import { Etcd3 } from 'etcd3';
import { describe, expect, inject, it } from 'vitest';
import { connect } from '../../src/index.js';
import { etcdHosts } from '../support/services.js';
import { batonEtcdUrl, randomPrefix } from './helpers.js';

describe('etcd entry TTLs', () => {
  it('200 entries with the same TTL use at most a few leases', async () => {
    const prefix = randomPrefix();
    const etcd = new Etcd3({ hosts: etcdHosts(inject('etcdUrl')) });
    const baton = await connect(batonEtcdUrl(inject('etcdUrl'), prefix));
    try {
      const d = baton.dict<number>('ttl-buckets');
      const keys = Array.from({ length: 200 }, (_, i) => `k${i}`);
      await Promise.all(keys.slice(0, 100).map((k, i) => d.set(k, i, { ttlMs: 60_000 })));
      await d.batch(keys.slice(100).map((key, i) => ({ op: 'set' as const, key, value: i, ttlMs: 60_000 })));
      const stored = await etcd.getAll().prefix(`${prefix}/dicts/ttl-buckets/e/`).exec();
      const leases = new Set(stored.kvs.map((kv) => kv.lease));
      expect(stored.kvs).toHaveLength(200);
      expect(leases.has('0')).toBe(false);
      expect(leases.size).toBeLessThanOrEqual(3); // the writes may straddle a second or two
    } finally {
      etcd.close();
      await baton.close();
    }
  });
});
