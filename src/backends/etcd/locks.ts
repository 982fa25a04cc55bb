/**
 * EtcdLocks: the lock contract on etcd. A lock is the one-permit queue of queues.ts, which does
 * acquire (contender.ts: FIFO by create revision, fence = the holder key's create revision,
 * waiting by watching the predecessor), extend and release alike for locks and semaphores; its
 * keys are laid out as keys.ts says (queue-layout.ts's `lockLayout`).
 *
 * - inspect/list read the oldest contender of a lock, and its lease's remaining TTL.
 *
 * How it fails: BackendUnavailableError when etcd cannot answer within the client's timeout or
 * the client is closed; the rest as queues.ts says.
 */

import type { IKeyValue } from 'etcd3';
import type { ListFilter } from '../../list-filter.js';
import type { AcquireRequest, LockBackend, LockGrant, LockInfo } from '../../locks/backend.js';
import type { EtcdClient } from './client.js';
import { decodeFenceRecord } from './fence-record.js';
import { decodeHolder } from './holder.js';
import { prefixEnd } from './keys.js';
import { lockLayout } from './queue-layout.js';
import { EtcdQueues } from './queues.js';
import { byCreate, get, kvsOf, range, revisionOf, Txn } from './txn.js';

/** EtcdLocks is one client's view of the locks of an etcd store. */
export class EtcdLocks extends EtcdQueues implements LockBackend {
  /** @param minTtlSeconds etcd's minimum lease TTL, as measured when the backend was opened. */
  constructor(client: EtcdClient, minTtlSeconds: number) {
    super(client, lockLayout(client.keys), minTtlSeconds);
  }

  acquire(name: string, req: AcquireRequest): Promise<LockGrant | null> {
    return this.enqueue(name, { ...req, permits: 1, count: 1 });
  }

  async inspect(name: string): Promise<LockInfo> {
    this.assertOpen();
    const keys = this.client.keys;
    const dir = keys.lockDir(name);
    const read = new Txn({
      success: { oldest: range(dir, prefixEnd(dir), byCreate('asc')), fence: get(keys.fenceRecord(name)) },
    });
    const got = read.got(await this.client.txn('lock inspect', 'idempotent', read.request));
    const holder = kvsOf(got.oldest)[0];
    if (!holder) return { name, held: false, fence: decodeFenceRecord(kvsOf(got.fence)[0]) };
    return this.#holderInfo(name, holder);
  }

  async list(options: ListFilter = {}): Promise<LockInfo[]> {
    this.assertOpen();
    const from = this.client.keys.locksFrom(options.prefix ?? '');
    const res = await this.client.range('lock list', { key: from, range_end: prefixEnd(from) });
    const oldest = new Map<string, IKeyValue>();
    for (const kv of res.kvs) {
      const name = this.client.keys.lockNameOf(kv.key);
      const seen = oldest.get(name);
      if (!seen || revisionOf(kv.create_revision) < revisionOf(seen.create_revision)) oldest.set(name, kv);
    }
    const names = [...oldest.keys()].sort().slice(0, options.limit ?? 1000);
    return Promise.all(names.map((name) => this.#holderInfo(name, oldest.get(name)!)));
  }

  async ping(): Promise<void> {
    this.assertOpen();
    await this.client.ping();
  }

  async #holderInfo(name: string, holder: IKeyValue): Promise<LockInfo> {
    const ttlSeconds = await this.client.timeToLive(holder.lease);
    const { owner } = decodeHolder(holder);
    return {
      name,
      held: true,
      fence: revisionOf(holder.create_revision),
      expiresAt: Date.now() + Math.max(0, ttlSeconds) * 1000,
      ...(owner === undefined ? {} : { owner }),
    };
  }
}
