/**
 * The benchmark's own redis-server and etcd, started on free loopback ports with the test
 * suite's helpers (test/support) and stopped when the run ends, however it ends.
 */
import {
  cleanUpAll,
  type EtcdHandle,
  type RedisHandle,
  startEtcd,
  startRedis,
} from '../test/support/services.js';

/** Services are the servers one run started. */
export interface Services {
  readonly redisUrl: string;
  readonly etcdUrl: string;
  stop(): Promise<void>;
}

/** startServices starts only what the selected scenarios need. ServerStartError if one does not come up. */
export async function startServices(needs: ReadonlySet<'redis' | 'etcd'>): Promise<Services> {
  const [redis, etcd]: [RedisHandle | undefined, EtcdHandle | undefined] = await Promise.all([
    needs.has('redis') ? startRedis() : undefined,
    needs.has('etcd') ? startEtcd() : undefined,
  ]);
  return {
    redisUrl: redis?.url ?? '',
    etcdUrl: etcd?.url ?? '',
    async stop() {
      await Promise.all([redis?.stop(), etcd?.stop()]);
      await cleanUpAll();
    },
  };
}
