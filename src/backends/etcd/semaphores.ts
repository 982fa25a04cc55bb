/**
 * EtcdSemaphores: the semaphore contract on etcd, for one namespace of pools (`semaphore` or
 * `rwlock`). Acquisition is a PoolContender (pool-contender.ts): one key per contender on its own
 * lease, FIFO by create revision, a contender holds when the counts up to and including it fit
 * the pool, fence = its key's create revision, waiting by watching the deletes ahead of it.
 *
 * - extend: only a contender that has marked itself granted may extend. The same TTL renews its
 *   lease (one keep-alive); a new TTL moves the key onto a fresh lease (same key, so the same
 *   create revision and fence) and revokes the old one.
 * - release deletes the token's key (waking the watches behind it) and answers; its lease is
 *   revoked in the background (`client.revokeSoon`).
 * - inspect/list read the contender keys of a pool (list: of the pools under a name prefix,
 *   never the whole keyspace) and apply the holding rule of pool-record.ts; a holder's expiry is
 *   its lease's remaining TTL. Tokens are never stored (keys hold a hash), so never shown.
 *
 * How it fails: BackendUnavailableError when etcd cannot answer within the client's timeout or
 * the client is closed; InvalidArgumentError when `permits` differs from the size of the pool in
 * use (see pool-contender.ts). A lease loss is never reported late: the upper layer tracks
 * expiry from `startedAt`.
 */
import type { IKeyValue } from 'etcd3';
import { BackendUnavailableError } from '../../errors.js';
import { encodeFenceScope } from '../../fence-scope.js';
import type { LockGrant } from '../../locks/backend.js';
import type {
  PermitHolder,
  PermitRequest,
  SemaphoreBackend,
  SemaphoreCapabilities,
  SemaphoreInfo,
} from '../../locks/semaphore-backend.js';
import type { EtcdClient } from './client.js';
import { grantedTtlMs, ttlSecondsFor } from './contender.js';
import { prefixEnd } from './keys.js';
import { PoolContender } from './pool-contender.js';
import type { PoolKeys } from './pool-keys.js';
import { decodePoolFence, decodePoolValue, encodePoolValue, poolState } from './pool-record.js';
import { createIs, del, get, kvsOf, put, range, revisionOf } from './txn.js';

/** FENCE_READS_PER_TXN bounds the gets of one list transaction (etcd allows 128 ops by default). */
const FENCE_READS_PER_TXN = 100;

/** EtcdSemaphores is one client's view of one namespace of semaphore pools in an etcd store. */
export class EtcdSemaphores implements SemaphoreBackend {
  readonly capabilities: SemaphoreCapabilities;
  readonly #client: EtcdClient;
  readonly #keys: PoolKeys;
  readonly #namespace: 'semaphore' | 'rwlock';
  readonly #minTtlSeconds: number;
  readonly #running = new Map<PoolContender, Promise<unknown>>();
  #closing = false;

  /**
   * @param keys the key layout of this namespace.
   * @param minTtlSeconds etcd's minimum lease TTL, as measured when the backend was opened.
   */
  constructor(client: EtcdClient, keys: PoolKeys, namespace: 'semaphore' | 'rwlock', minTtlSeconds: number) {
    this.#client = client;
    this.#keys = keys;
    this.#namespace = namespace;
    this.#minTtlSeconds = minTtlSeconds;
    this.capabilities = Object.freeze({
      fairOrdering: true,
      notifiedWaiting: true,
      minTtlMs: minTtlSeconds * 1000,
      listing: true,
    });
  }

  async acquire(name: string, req: PermitRequest): Promise<LockGrant | null> {
    this.#assertOpen();
    const contender = new PoolContender(
      this.#client,
      this.#keys,
      encodeFenceScope({ kind: this.#namespace, name }),
      name,
      req,
      this.capabilities.minTtlMs,
    );
    const run = contender.run();
    this.#running.set(
      contender,
      run.catch(() => undefined),
    );
    try {
      return await run;
    } finally {
      this.#running.delete(contender);
    }
  }

  async extend(name: string, token: string, given: number | undefined): Promise<LockGrant | null> {
    this.#assertOpen();
    const key = this.#keys.contender(name, token);
    const startedAt = performance.now();
    const own = (await this.#client.range('semaphore extend', { key })).kvs[0];
    if (!own) return null;
    const held = decodePoolValue(own);
    if (!held.granted) return null; // still waiting: a waiter has nothing to extend
    // Without a TTL: the one stored with the holder (whole seconds, as etcd keeps it; 0 before it was stored).
    const ttlMs = given ?? (held.ttlSeconds > 0 ? held.ttlSeconds * 1000 : 30_000);
    const fence = revisionOf(own.create_revision);
    const wanted = Math.max(ttlSecondsFor(ttlMs), this.#minTtlSeconds);
    if (wanted === held.ttlSeconds) {
      const ttlSeconds = await this.#client.keepAliveOnce(own.lease);
      return ttlSeconds > 0 ? { fence, ttlMs: this.#ttlMs(ttlMs, ttlSeconds), startedAt } : null;
    }
    // A different TTL: move the key onto a new lease (same key, so the same create revision).
    const movedAt = performance.now();
    const lease = await this.#client.grant(wanted);
    const moved = await this.#client.txn('semaphore extend', 'idempotent', {
      compare: [createIs(key, 'equal', fence)],
      success: [put(key, encodePoolValue({ ...held, ttlSeconds: lease.ttlSeconds }), lease.id)],
    });
    if (!moved.succeeded) {
      await this.#client.revoke(lease.id).catch(() => undefined);
      return null;
    }
    await this.#client.revoke(own.lease).catch(() => undefined);
    return { fence, ttlMs: this.#ttlMs(ttlMs, lease.ttlSeconds), startedAt: movedAt };
  }

  async release(name: string, token: string): Promise<boolean> {
    this.#assertOpen();
    const res = await this.#client.txn('semaphore release', 'unsent', {
      success: [del(this.#keys.contender(name, token), { prevKv: true })],
    });
    const gone = res.responses[0]?.response_delete_range?.prev_kvs[0];
    if (!gone) return false;
    this.#client.revokeSoon(gone.lease); // the key is deleted, so it is free; its lease would expire anyway
    return true;
  }

  async inspect(name: string): Promise<SemaphoreInfo> {
    this.#assertOpen();
    const dir = this.#keys.dir(name);
    const res = await this.#client.txn('semaphore inspect', 'idempotent', {
      success: [range(dir, prefixEnd(dir)), get(this.#keys.fence(name))],
    });
    return this.#info(name, kvsOf(res.responses[0]), kvsOf(res.responses[1])[0]);
  }

  async list(options: { prefix?: string; limit?: number } = {}): Promise<SemaphoreInfo[]> {
    this.#assertOpen();
    const from = this.#keys.from(options.prefix ?? '');
    const res = await this.#client.range('semaphore list', { key: from, range_end: prefixEnd(from) });
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

  /** close cancels every wait of this client (each revokes its lease first) and waits for them. */
  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    const running = [...this.#running];
    for (const [contender] of running)
      contender.cancel(new BackendUnavailableError('baton client closed while waiting for permits'));
    await Promise.all(running.map(([, done]) => done));
  }

  /** #fenceRecords reads the fence records of `names`, in order, a bounded number per transaction. */
  async #fenceRecords(names: readonly string[]): Promise<(IKeyValue | undefined)[]> {
    const chunks: string[][] = [];
    for (let i = 0; i < names.length; i += FENCE_READS_PER_TXN)
      chunks.push(names.slice(i, i + FENCE_READS_PER_TXN));
    const read = await Promise.all(
      chunks.map((chunk) =>
        this.#client.txn('semaphore list', 'idempotent', {
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
    let fence = decodePoolFence(fenceRecord);
    let used = 0;
    for (const h of state.holders) {
      fence = Math.max(fence, h.revision); // granted by the store, not yet marked by its contender
      used += h.value.count;
    }
    const holders = await Promise.all(
      state.holders.map(async (h): Promise<PermitHolder> => {
        const ttlSeconds = await this.#client.timeToLive(h.kv.lease);
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

  #ttlMs(requestedMs: number, setSeconds: number): number {
    return grantedTtlMs(requestedMs, setSeconds, this.capabilities.minTtlMs);
  }

  #assertOpen(): void {
    if (this.#closing) throw new BackendUnavailableError('baton client is closed');
    this.#client.assertOpen();
  }
}
