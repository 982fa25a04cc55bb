/**
 * Helpers for the etcd backend's tests: baton URLs for the etcd services test/support starts,
 * with a random key prefix per test file, and a raw etcd3 client for what baton does not do
 * (compaction).
 */
import { randomBytes } from 'node:crypto';
import { Etcd3 } from 'etcd3';
import { connect } from '../../src/index.js';
import { etcdHosts } from '../support/services.js';

/**
 * batonEtcdUrl turns a provided `etcd://h1:p1,h2:p2` URL into a baton URL with a fresh random
 * `prefix`: the first member in the authority and the others in `endpoints=`, a form every URL
 * parser accepts (`connect()` does not yet use `parseBackendUrl` for comma-separated authorities).
 */
export function batonEtcdUrl(serviceUrl: string, prefix = randomPrefix()): string {
  const [first, ...others] = etcdHosts(serviceUrl).map((h) => h.replace(/^http:\/\//, ''));
  const endpoints = others.length > 0 ? `&endpoints=${others.join(',')}` : '';
  return `etcd://${first}/?prefix=${prefix}${endpoints}`;
}

/** randomPrefix is a key prefix no other test run uses. */
export function randomPrefix(): string {
  return `test-${randomBytes(6).toString('hex')}`;
}

/**
 * compactAt returns a harness `compact(dict)`: it compacts the cluster's history at the dict's
 * current version (not later, so other tests' watches on the same etcd are not cut short).
 */
export function compactAt(serviceUrl: string, batonUrl: string): (dict: string) => Promise<void> {
  return async (dict) => {
    const baton = await connect(batonUrl);
    const etcd = new Etcd3({ hosts: etcdHosts(serviceUrl) });
    try {
      const version = await baton.dict(dict).version();
      await etcd.kv.compact({ revision: version, physical: true });
    } finally {
      etcd.close();
      await baton.close();
    }
  };
}
