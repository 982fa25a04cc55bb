/**
 * The etcd backend (`etcd://h1:2379,h2:2379`, `etcds://` for TLS): fair fenced locks on create
 * revisions (locks.ts, contender.ts), semaphore and read-write lock pools on the same idea
 * (semaphores.ts, pool-*.ts), and dicts on revisions (dicts.ts, dict-*.ts); the key layout is in
 * keys.ts and pool-keys.ts. See open.ts, url.ts and docs/SAFETY.md#etcd.
 */
export { openEtcd } from './open.js';
export { type EtcdSettings, parseEtcdUrl } from './url.js';
