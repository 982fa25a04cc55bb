/**
 * openEtcd opens the etcd backend (`etcd://`, `etcds://`; see url.ts for the URL): one etcd3
 * client shared by locks, dicts, semaphores and read-write locks. It measures etcd's minimum
 * lease TTL with one grant, which also proves the cluster answers.
 *
 * How it fails: InvalidArgumentError for a malformed URL or refused credentials;
 * BackendUnavailableError when no quorum answers within `timeoutMs` (nothing is left open).
 */
import type { BackendOptions, OpenedBackend } from '../types.js';
import { EtcdClient } from './client.js';
import { EtcdDicts } from './dicts.js';
import { EtcdLocks } from './locks.js';
import { PoolKeys } from './pool-keys.js';
import { EtcdSemaphores } from './semaphores.js';
import { parseEtcdUrl } from './url.js';

/** openEtcd connects to the etcd cluster a URL names. */
export async function openEtcd(url: URL, options: BackendOptions): Promise<OpenedBackend> {
  const settings = parseEtcdUrl(url, options);
  const client = new EtcdClient(settings);
  let minTtlSeconds: number;
  try {
    minTtlSeconds = await client.minLeaseSeconds();
  } catch (err) {
    client.close();
    throw err;
  }
  const locks = new EtcdLocks(client, minTtlSeconds);
  const dicts = new EtcdDicts(client, minTtlSeconds * 1000);
  const pools = {
    semaphores: new EtcdSemaphores(
      client,
      new PoolKeys(settings.prefix, 'semaphore'),
      'semaphore',
      minTtlSeconds,
    ),
    rwlocks: new EtcdSemaphores(client, new PoolKeys(settings.prefix, 'rwlock'), 'rwlock', minTtlSeconds),
  };
  let closing: Promise<void> | undefined;
  return {
    locks,
    dicts,
    pools,
    close() {
      closing ??= (async () => {
        await Promise.all([locks.close(), dicts.close(), pools.semaphores.close(), pools.rwlocks.close()]);
        await client.settle();
        client.close();
      })();
      return closing;
    },
  };
}
