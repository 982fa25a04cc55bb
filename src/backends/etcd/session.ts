/**
 * Session: one etcd lease and its keep-alive, as etcd's `concurrency.Session`. Every contender
 * (contender.ts, a lock's or a semaphore's) puts its key on a session's lease, so lease grant,
 * keep-alive, loss and revoke are written once for every waiting primitive.
 *
 * - `Session.grant` grants the lease; etcd sets its TTL (whole seconds, at least its minimum).
 * - `keepAlive` renews it every third of its TTL (at least every 500 ms) while its contender
 *   waits; a renewal that finds the lease gone aborts `done` (etcd's `Session.Done()`). An
 *   unreachable etcd is tried again at the next tick: the contender's re-check decides.
 * - `renew` renews once and answers the TTL etcd set (0: the lease is gone, `done` aborts).
 * - `handOver` stops the keep-alive and leaves the lease to the grant: from then the holder
 *   keeps it alive by extending (the upper layer tracks its expiry).
 * - `close` stops the keep-alive and revokes the lease, which deletes every key on it.
 *
 * How it fails: `grant` and `renew` reject as the client does (BackendUnavailableError when etcd
 * cannot be reached or the client is closed); `close` never rejects — a failed revoke leaves the
 * lease to expire.
 */
import type { EtcdClient, LeaseRecord } from './client.js';

/** KEEP_ALIVE_MIN_MS is the shortest interval between two keep-alives of one waiting session. */
const KEEP_ALIVE_MIN_MS = 500;

/** Session owns one etcd lease while a contender waits (see the file comment). */
export class Session {
  /** lease is the lease record as etcd granted it. */
  readonly lease: LeaseRecord;
  readonly #client: EtcdClient;
  #timer: NodeJS.Timeout | undefined;
  #done: AbortController | undefined;

  private constructor(client: EtcdClient, lease: LeaseRecord) {
    this.#client = client;
    this.lease = lease;
  }

  /** grant opens a session on a new lease of `ttlSeconds` (etcd may raise it to its minimum). */
  static async grant(client: EtcdClient, ttlSeconds: number): Promise<Session> {
    return new Session(client, await client.grant(ttlSeconds));
  }

  /** done aborts when the lease is found gone or the session is closed. */
  get done(): AbortSignal {
    this.#done ??= new AbortController();
    return this.#done.signal;
  }

  /** keepAlive starts renewing the lease until `handOver` or `close`. */
  keepAlive(): void {
    this.#stop();
    const every = Math.max(KEEP_ALIVE_MIN_MS, (this.lease.ttlSeconds * 1000) / 3);
    this.#timer = setInterval(() => {
      this.renew().catch(() => undefined); // unreachable: the next tick tries again
    }, every);
    this.#timer.unref();
  }

  /** renew renews the lease to its full TTL once; resolves to that TTL in seconds, 0 when it is gone. */
  async renew(): Promise<number> {
    const ttlSeconds = await this.#client.keepAliveOnce(this.lease.id);
    if (ttlSeconds <= 0) this.#end();
    return ttlSeconds;
  }

  /** handOver stops the keep-alive and leaves the lease alive (the contender was granted). */
  handOver(): void {
    this.#stop();
  }

  /** close stops the keep-alive and revokes the lease (deleting its keys); never rejects. */
  async close(): Promise<void> {
    this.#end();
    await this.#client.revoke(this.lease.id).catch(() => undefined);
  }

  #end(): void {
    this.#stop();
    this.#done?.abort();
  }

  #stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
