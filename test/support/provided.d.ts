/** The service URLs that global-setup.ts provides to tests through vitest's `inject`. */
import 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    /** redisUrl is a single redis-server: `redis://127.0.0.1:PORT`. */
    redisUrl: string;
    /** redisClusterUrl is a 3-master Redis Cluster: `redis+cluster://127.0.0.1:P1,...`. */
    redisClusterUrl: string;
    /** etcdUrl is a one-member etcd: `etcd://127.0.0.1:PORT`. */
    etcdUrl: string;
    /** etcdClusterUrl is a 3-member etcd cluster: `etcd://127.0.0.1:P1,...`. */
    etcdClusterUrl: string;
  }
}
