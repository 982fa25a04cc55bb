/**
 * openRedis: the Redis backend's opener for `redis://`, `rediss://`, `redis+sentinel://` and
 * `redis+cluster://` (URL forms and options in url.ts). It connects the main client (failing with
 * BackendUnavailableError within `timeoutMs` when Redis cannot be reached), registers the Lua
 * scripts, and returns the contracts (locks, dicts, semaphores and rwlocks) over that one client
 * plus two lazily opened subscriber connections: one for lock and pool waiters, one for dict
 * watchers (however many there are).
 */
import type { BackendOptions, OpenedBackend } from '../types.js';
import { RedisConnections } from './client.js';
import { RedisDicts } from './dicts.js';
import { KeyLayout } from './keys.js';
import { RedisLocks } from './locks.js';
import { PoolKeyLayout } from './pool-keys.js';
import { FENCE_ISSUED } from './script-defs.js';
import { Scripts } from './scripts.js';
import { RedisSemaphores } from './semaphores.js';
import { parseRedisUrl } from './url.js';
import { LockWakeups } from './wakeups.js';

/**
 * MAX_FENCED_DICTS bounds the dicts recorded per fence scope (fence_issued.lua); past it every
 * dict counts as recorded, so a dict that lost its fence table is still refused below the counter.
 */
export const MAX_FENCED_DICTS = 10_000;

/** openRedis connects to the Redis a URL names. InvalidArgumentError for a bad URL; BackendUnavailableError when unreachable. */
export async function openRedis(url: URL, options: BackendOptions): Promise<OpenedBackend> {
  const settings = parseRedisUrl(url, options);
  const keys = new KeyLayout(settings.prefix);
  const conns = await RedisConnections.open(settings);
  let scripts: Scripts;
  try {
    scripts = new Scripts(conns.main, {
      replication: { replicas: settings.replicas, timeoutMs: settings.replicasTimeoutMs },
      // Where the lock index shares the node with the locks, the lock scripts write it themselves.
      env: { lockIndex: conns.isCluster ? undefined : keys.lockIndex },
    });
  } catch (err) {
    conns.close();
    throw err;
  }
  const wakeups = new LockWakeups(() => conns.subscriber(), settings.timeoutMs);
  const locks = new RedisLocks(conns, scripts, keys, wakeups);
  const dicts = new RedisDicts(conns, scripts, keys);
  // Pool waiters share the lock waiters' subscriber connection (one per client).
  const semaphores = new RedisSemaphores(scripts, new PoolKeyLayout(settings.prefix, 'semaphore'), wakeups);
  const rwlocks = new RedisSemaphores(scripts, new PoolKeyLayout(settings.prefix, 'rwlock'), wakeups);
  let closing: Promise<void> | undefined;
  return {
    locks,
    dicts,
    pools: { semaphores, rwlocks },
    // Where a dict's script cannot read the counter (a cluster, or this store holding the locks
    // of a composed client), the client reads it first, and records the dict beside it.
    async issuedFence(scope, fence, dict) {
      const read = await scripts.call(FENCE_ISSUED, {
        counter: keys.fenceCounter(scope),
        dicts: keys.fencedDicts(scope),
        dict,
        fence,
        max: MAX_FENCED_DICTS,
      });
      return { issued: read.issued, floorIfLost: read.known ? read.issued : undefined };
    },
    close() {
      closing ??= (async () => {
        await Promise.all([locks.close(), dicts.close(), semaphores.close(), rwlocks.close()]);
        conns.close();
      })();
      return closing;
    },
  };
}
