/**
 * EtcdSemaphores: the semaphore contract on etcd, for one namespace of pools (`semaphore` or
 * `rwlock`). Acquire, extend and release are the queue's (queues.ts, contender.ts): one key per
 * contender on its own lease, FIFO by create revision, a contender holds when the counts up to
 * and including it fit the pool, fence = its key's create revision, waiting by watching the
 * deletes ahead of it; keys as pool-keys.ts lays them out (queue-layout.ts's `poolLayout`).
 *
 * - inspect/list read the contender keys of a pool (list: of the pools under a name prefix,
 *   never the whole keyspace) and apply the holding rule of pool-record.ts; a holder's expiry is
 *   its lease's remaining TTL. Tokens are never stored (keys hold a hash), so never shown.
 *
 * How it fails: BackendUnavailableError when etcd cannot answer within the client's timeout or
 * the client is closed; InvalidArgumentError when `permits` differs from the size of the pool in
 * use (see contender.ts); the rest as queues.ts says.
 */

import type { IKeyValue } from 'etcd3';
import type { ListFilter } from '../../list-filter.js';
import type { LockGrant } from '../../locks/backend.js';
import type {
  PermitHolder,
  PermitRequest,
  SemaphoreBackend,
  SemaphoreInfo,
} from '../../locks/semaphore-backend.js';
import type { EtcdClient } from './client.js';
import { decodeFenceRecord } from './fence-record.js';
import { prefixEnd } from './keys.js';
import type { PoolKeys } from './pool-keys.js';
import { poolState } from './pool-record.js';
import { poolLayout } from './queue-layout.js';
import { EtcdQueues } from './queues.js';
import { get, kvsOf, range, Txn } from './txn.js';

/** FENCE_READS_PER_TXN bounds the gets of one list transaction (etcd allows 128 ops by default). */
const FENCE_READS_PER_TXN = 100;

/** EtcdSemaphores is one client's view of one namespace of semaphore pools in an etcd store. */
export class EtcdSemaphores extends EtcdQueues implements SemaphoreBackend {
  readonly #keys: PoolKeys;

  /**
   * @param keys the key layout of this namespace.
   * @param minTtlSeconds etcd's minimum lease TTL, as measured when the backend was opened.
   */
  constructor(client: EtcdClient, keys: PoolKeys, namespace: 'semaphore' | 'rwlock', minTtlSeconds: number) {
    super(client, poolLayout(keys, namespace), minTtlSeconds);
    this.#keys = keys;
  }

  acquire(name: string, req: PermitRequest): Promise<LockGrant | null> {
    return this.enqueue(name, req);
  }

  async inspect(name: string): Promise<SemaphoreInfo> {
    this.assertOpen();
    const dir = this.#keys.dir(name);
    const read = new Txn({
      success: { queue: range(dir, prefixEnd(dir)), fence: get(this.#keys.fence(name)) },
    });
    const got = read.got(await this.client.txn('semaphore inspect', 'idempotent', read.request));
    return this.#info(name, kvsOf(got.queue), kvsOf(got.fence)[0]);
  }

  async list(options: ListFilter = {}): Promise<SemaphoreInfo[]> {
    this.assertOpen();
    const from = this.#keys.from(options.prefix ?? '');
    const res = await this.client.range('semaphore list', { key: from, range_end: prefixEnd(from) });
    const pools = new Map<string, IKeyValue[]>();
    for (const kv of res.kvs) {
      const name = this.#keys.nameOf(kv.key);
      const kvs = pools.get(name);
      if (kvs) kvs.push(kv);
      else pools.set(name, [kv]);
    }
    const names = [...pools.keys()]
      .filter((name) => poolState(pools.get(name)!).holders.length > 0)
      .sort()
      .slice(0, options.limit ?? 1000);
    const fences = await this.#fenceRecords(names);
    return Promise.all(names.map((name, i) => this.#info(name, pools.get(name)!, fences[i])));
  }

  /** #fenceRecords reads the fence records of `names`, in order, a bounded number per transaction. */
  async #fenceRecords(names: readonly string[]): Promise<(IKeyValue | undefined)[]> {
    const chunks: string[][] = [];
    for (let i = 0; i < names.length; i += FENCE_READS_PER_TXN)
      chunks.push(names.slice(i, i + FENCE_READS_PER_TXN));
    const read = await Promise.all(
      chunks.map((chunk) =>
        this.client.txn('semaphore list', 'idempotent', {
          success: chunk.map((name) => get(this.#keys.fence(name))),
        }),
      ),
    );
    return read.flatMap((res) => res.responses.map((op) => kvsOf(op)[0]));
  }

  async #info(
    name: string,
    kvs: readonly IKeyValue[],
    fenceRecord: IKeyValue | undefined,
  ): Promise<SemaphoreInfo> {
    const state = poolState(kvs);
    let fence = decodeFenceRecord(fenceRecord);
    let used = 0;
    for (const h of state.holders) {
      fence = Math.max(fence, h.revision); // granted by the store, not yet marked by its contender
      used += h.value.count;
    }
    const holders = await Promise.all(
      state.holders.map(async (h): Promise<PermitHolder> => {
        const ttlSeconds = await this.client.timeToLive(h.kv.lease);
        return {
          count: h.value.count,
          fence: h.revision,
          expiresAt: Date.now() + Math.max(0, ttlSeconds) * 1000,
          ...(h.value.owner === undefined ? {} : { owner: h.value.owner }),
        };
      }),
    );
    return { name, permits: state.permits, used, fence, holders, waiting: state.waiting };
  }
}
