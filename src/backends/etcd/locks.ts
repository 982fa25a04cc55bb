/**
 * EtcdLocks: the lock contract on etcd. Acquisition is a Contender (contender.ts): FIFO by create
 * revision, fence = the holder key's create revision, waiting by watching the predecessor.
 *
 * - extend: a holder whose TTL stays the same renews its lease (one keep-alive); a new TTL moves
 *   the key onto a fresh lease (its create revision, so its fence, is unchanged) and revokes the
 *   old one. Only the oldest contender — the holder — may extend.
 * - release deletes the token's key (waking the next contender's watch) and answers; its lease
 *   is revoked in the background (`client.revokeSoon`), since the lock is free once the delete
 *   commits and the lease would expire anyway.
 * - inspect/list read the oldest contender of a lock, and its lease's remaining TTL.
 *
 * How it fails: BackendUnavailableError when etcd cannot answer within the client's timeout or
 * the client is closed. A lease loss is never reported late: etcd3's own `lost` event is not
 * used; the upper layer tracks expiry from `startedAt`.
 */
import type { IKeyValue } from 'etcd3';
import { BackendUnavailableError } from '../../errors.js';
import type {
  AcquireRequest,
  LockBackend,
  LockCapabilities,
  LockGrant,
  LockInfo,
} from '../../locks/backend.js';
import type { EtcdClient } from './client.js';
import { Contender, grantedTtlMs, ttlSecondsFor } from './contender.js';
import { decodeFenceRecord, decodeHolder, encodeHolder } from './holder.js';
import { prefixEnd } from './keys.js';
import { byCreate, createIs, del, get, kvsOf, put, range, revisionOf } from './txn.js';

/** EtcdLocks is one client's view of the locks of an etcd store. */
export class EtcdLocks implements LockBackend {
  readonly capabilities: LockCapabilities;
  readonly #client: EtcdClient;
  readonly #minTtlSeconds: number;
  readonly #running = new Map<Contender, Promise<unknown>>();
  #closing = false;

  /** @param minTtlSeconds etcd's minimum lease TTL, as measured when the backend was opened. */
  constructor(client: EtcdClient, minTtlSeconds: number) {
    this.#client = client;
    this.#minTtlSeconds = minTtlSeconds;
    this.capabilities = Object.freeze({
      fairOrdering: true,
      notifiedWaiting: true,
      minTtlMs: minTtlSeconds * 1000,
      listing: true,
    });
  }

  async acquire(name: string, req: AcquireRequest): Promise<LockGrant | null> {
    this.#assertOpen();
    const contender = new Contender(this.#client, name, req, this.capabilities.minTtlMs);
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
    const keys = this.#client.keys;
    const key = keys.lockKey(name, token);
    const dir = keys.lockDir(name);
    const startedAt = performance.now();
    const read = await this.#client.txn('lock extend', 'idempotent', {
      success: [get(key), range(dir, prefixEnd(dir), byCreate('asc'))],
    });
    const own = kvsOf(read.responses[0])[0];
    const oldest = kvsOf(read.responses[1])[0];
    if (!own || !oldest || !own.key.equals(oldest.key)) return null;
    const fence = revisionOf(own.create_revision);
    const held = decodeHolder(own);
    // Without a TTL: the one stored with the holder (whole seconds, as etcd keeps it; 0 before it was stored).
    const ttlMs = given ?? (held.ttlSeconds > 0 ? held.ttlSeconds * 1000 : 30_000);
    const wanted = Math.max(ttlSecondsFor(ttlMs), this.#minTtlSeconds);
    if (wanted === held.ttlSeconds) {
      const ttlSeconds = await this.#client.keepAliveOnce(own.lease);
      return ttlSeconds > 0 ? { fence, ttlMs: this.#ttlMs(ttlMs, ttlSeconds), startedAt } : null;
    }
    // A different TTL: move the key onto a new lease (same key, so the same create revision).
    const movedAt = performance.now();
    const lease = await this.#client.grant(wanted);
    const moved = await this.#client.txn('lock extend', 'idempotent', {
      compare: [createIs(key, 'equal', fence)],
      success: [put(key, encodeHolder({ owner: held.owner, ttlSeconds: lease.ttlSeconds }), lease.id)],
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
    const res = await this.#client.txn('lock release', 'unsent', {
      success: [del(this.#client.keys.lockKey(name, token), { prevKv: true })],
    });
    const gone = res.responses[0]?.response_delete_range?.prev_kvs[0];
    if (!gone) return false;
    this.#client.revokeSoon(gone.lease); // the key is deleted, so it is free; its lease would expire anyway
    return true;
  }

  async inspect(name: string): Promise<LockInfo> {
    this.#assertOpen();
    const keys = this.#client.keys;
    const dir = keys.lockDir(name);
    const res = await this.#client.txn('lock inspect', 'idempotent', {
      success: [range(dir, prefixEnd(dir), byCreate('asc')), get(keys.fenceRecord(name))],
    });
    const holder = kvsOf(res.responses[0])[0];
    if (!holder) return { name, held: false, fence: decodeFenceRecord(kvsOf(res.responses[1])[0]) };
    return this.#holderInfo(name, holder);
  }

  async list(options: { prefix?: string; limit?: number } = {}): Promise<LockInfo[]> {
    this.#assertOpen();
    const from = this.#client.keys.locksFrom(options.prefix ?? '');
    const res = await this.#client.range('lock list', { key: from, range_end: prefixEnd(from) });
    const oldest = new Map<string, IKeyValue>();
    for (const kv of res.kvs) {
      const name = this.#client.keys.lockNameOf(kv.key);
      const seen = oldest.get(name);
      if (!seen || revisionOf(kv.create_revision) < revisionOf(seen.create_revision)) oldest.set(name, kv);
    }
    const names = [...oldest.keys()].sort().slice(0, options.limit ?? 1000);
    return Promise.all(names.map((name) => this.#holderInfo(name, oldest.get(name)!)));
  }

  async ping(): Promise<void> {
    this.#assertOpen();
    await this.#client.ping();
  }

  /** close cancels every wait of this client (each revokes its lease first) and waits for them. */
  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    const running = [...this.#running];
    for (const [contender] of running)
      contender.cancel(new BackendUnavailableError('baton client closed while waiting for a lock'));
    await Promise.all(running.map(([, done]) => done));
  }

  async #holderInfo(name: string, holder: IKeyValue): Promise<LockInfo> {
    const ttlSeconds = await this.#client.timeToLive(holder.lease);
    const { owner } = decodeHolder(holder);
    return {
      name,
      held: true,
      fence: revisionOf(holder.create_revision),
      expiresAt: Date.now() + Math.max(0, ttlSeconds) * 1000,
      ...(owner === undefined ? {} : { owner }),
    };
  }

  #ttlMs(requestedMs: number, setSeconds: number): number {
    return grantedTtlMs(requestedMs, setSeconds, this.capabilities.minTtlMs);
  }

  #assertOpen(): void {
    if (this.#closing) throw new BackendUnavailableError('baton client is closed');
    this.#client.assertOpen();
  }
}
