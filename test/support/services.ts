/**
 * Real Redis and etcd servers for tests: the one import for global setup and for test files that
 * start (and kill, and restart) their own instances. Every process started here is stopped when
 * the test process ends, however it ends (see processes.ts).
 */
export { ensureBinaries, missingBinaries } from './binaries.js';
export { type EtcdHandle, startEtcd } from './etcd.js';
export { type EtcdClusterHandle, startEtcdCluster } from './etcd-cluster.js';
export { freePort, freePorts } from './ports.js';
export { cleanUpAll } from './processes.js';
export { type RedisHandle, type RedisOptions, startRedis } from './redis.js';
export { type RedisClusterHandle, startRedisCluster } from './redis-cluster.js';
export { redisCommand } from './resp.js';
export { etcdHosts, redisClusterNodes } from './urls.js';
export { ServerStartError } from './wait.js';
