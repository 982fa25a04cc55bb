/**
 * The etcd backend (`etcd://h1:2379,h2:2379`, `etcds://` for TLS): fair fenced locks on create
 * revisions (locks.ts) and semaphore and read-write lock pools (semaphores.ts, pool-*.ts), both
 * one queue — a lock is the one-permit case — with one algorithm (contender.ts) on one lease
 * session (session.ts), the holder operations in queues.ts and the storage of each kind in
 * queue-layout.ts; dicts on revisions (dicts.ts, dict-*.ts), their transactions built with named
 * result slots (txn.ts). The key layout is in keys.ts and pool-keys.ts. See open.ts, url.ts and
 * docs/SAFETY.md#etcd.
 */
export { openEtcd } from './open.js';
export { type EtcdSettings, parseEtcdUrl } from './url.js';
