/**
 * The etcd backend (`etcd://h1:2379,h2:2379`, `etcds://` for TLS): fair fenced locks on create
 * revisions and dicts on revisions. See open.ts, url.ts and docs/SAFETY.md.
 */
export { openEtcd } from './open.js';
export { type EtcdSettings, parseEtcdUrl } from './url.js';
