/**
 * EtcdQueues: what the etcd locks (locks.ts) and semaphores (semaphores.ts) do alike, written
 * once: acquire through a Contender (contender.ts) and the waits a close cancels, extend,
 * release, and the capabilities. A lock is the one-permit queue; queue-layout.ts says where each
 * kind stores its keys. The subclasses add only what they show: inspect and list.
 *
 * - extend: only the holder may extend — in a lock, the oldest contender; in a pool, a contender
 *   that marked itself granted. The same TTL renews its lease (one keep-alive); a new TTL moves
 *   the key onto a fresh lease (same key, so the same create revision and fence) and revokes the
 *   old one. `startedAt` is taken before the request that sets the TTL, so the upper layer's
 *   deadline is never later than etcd's.
 * - release deletes the token's key (waking the watches behind it) and answers; its lease is
 *   revoked in the background (`client.revokeSoon`), since the queue moves on once the delete
 *   commits and the lease would expire anyway.
 *
 * How it fails: BackendUnavailableError when etcd cannot answer within the client's timeout or
 * the client is closed; acquire as contender.ts says. A lease loss is never reported late: etcd3's
 * own `lost` event is not used; the upper layer tracks expiry from `startedAt`.
 */
import { BackendUnavailableError } from '../../errors.js';
import type { LockCapabilities, LockGrant } from '../../locks/backend.js';
import type { PermitRequest } from '../../locks/semaphore-backend.js';
import type { EtcdClient } from './client.js';
import { Contender, grantedTtlMs, ttlSecondsFor } from './contender.js';
import { prefixEnd } from './keys.js';
import type { QueueLayout } from './queue-layout.js';
import { byCreate, createIs, del, get, kvsOf, put, range, revisionOf, Txn } from './txn.js';

/** DEFAULT_TTL_MS is the TTL an extend without one uses when the holder stored none. */
const DEFAULT_TTL_MS = 30_000;

/** EtcdQueues is one client's view of one kind of queue of an etcd store (see the file comment). */
export class EtcdQueues {
  readonly capabilities: LockCapabilities;
  protected readonly client: EtcdClient;
  protected readonly layout: QueueLayout;
  readonly #minTtlSeconds: number;
  readonly #running = new Map<Contender, Promise<unknown>>();
  #closing = false;

  /** @param minTtlSeconds etcd's minimum lease TTL, as measured when the backend was opened. */
  constructor(client: EtcdClient, layout: QueueLayout, minTtlSeconds: number) {
    this.client = client;
    this.layout = layout;
    this.#minTtlSeconds = minTtlSeconds;
    this.capabilities = Object.freeze({
      fairOrdering: true,
      notifiedWaiting: true,
      minTtlMs: minTtlSeconds * 1000,
      listing: true,
    });
  }

  /** enqueue runs one acquire of `req.count` of `req.permits` (contender.ts). */
  protected async enqueue(name: string, req: PermitRequest): Promise<LockGrant | null> {
    this.assertOpen();
    const contender = new Contender(this.client, this.layout, name, req, this.capabilities.minTtlMs);
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
    this.assertOpen();
    const { kind } = this.layout;
    const key = this.layout.contender(name, token);
    const dir = this.layout.dir(name);
    const startedAt = performance.now();
    const oldest = this.layout.marksGrant ? [] : [range(dir, prefixEnd(dir), byCreate('asc'))];
    const read = new Txn({ success: { own: get(key), oldest } });
    const got = read.got(await this.client.txn(`${kind} extend`, 'idempotent', read.request));
    const own = kvsOf(got.own)[0];
    if (!own) return null;
    const held = this.layout.decode(own);
    const holds = this.layout.marksGrant ? held.granted : kvsOf(got.oldest[0])[0]?.key.equals(own.key);
    if (!holds) return null; // still waiting: a waiter has nothing to extend
    const fence = revisionOf(own.create_revision);
    // Without a TTL: the one stored with the holder (whole seconds, as etcd keeps it; 0 before it was stored).
    const ttlMs = given ?? (held.ttlSeconds > 0 ? held.ttlSeconds * 1000 : DEFAULT_TTL_MS);
    const wanted = Math.max(ttlSecondsFor(ttlMs), this.#minTtlSeconds);
    if (wanted === held.ttlSeconds) {
      const ttlSeconds = await this.client.keepAliveOnce(own.lease);
      return ttlSeconds > 0 ? { fence, ttlMs: this.#ttlMs(ttlMs, ttlSeconds), startedAt } : null;
    }
    // A different TTL: move the key onto a new lease (same key, so the same create revision).
    const movedAt = performance.now();
    const lease = await this.client.grant(wanted);
    const moved = await this.client.txn(`${kind} extend`, 'idempotent', {
      compare: [createIs(key, 'equal', fence)],
      success: [put(key, this.layout.encode({ ...held, ttlSeconds: lease.ttlSeconds }), lease.id)],
    });
    if (!moved.succeeded) {
      await this.client.revoke(lease.id).catch(() => undefined);
      return null;
    }
    await this.client.revoke(own.lease).catch(() => undefined);
    return { fence, ttlMs: this.#ttlMs(ttlMs, lease.ttlSeconds), startedAt: movedAt };
  }

  async release(name: string, token: string): Promise<boolean> {
    this.assertOpen();
    const release = new Txn({ success: { del: del(this.layout.contender(name, token), { prevKv: true }) } });
    const got = release.got(await this.client.txn(`${this.layout.kind} release`, 'unsent', release.request));
    const gone = got.del?.response_delete_range?.prev_kvs[0];
    if (!gone) return false;
    this.client.revokeSoon(gone.lease); // the key is deleted, so it is free; its lease would expire anyway
    return true;
  }

  /** close cancels every wait of this client (each revokes its lease first) and waits for them. */
  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    const running = [...this.#running];
    const reason = `baton client closed while waiting for ${this.layout.waitingFor}`;
    for (const [contender] of running) contender.cancel(new BackendUnavailableError(reason));
    await Promise.all(running.map(([, done]) => done));
  }

  #ttlMs(requestedMs: number, setSeconds: number): number {
    return grantedTtlMs(requestedMs, setSeconds, this.capabilities.minTtlMs);
  }

  protected assertOpen(): void {
    if (this.#closing) throw new BackendUnavailableError('baton client is closed');
    this.client.assertOpen();
  }
}
