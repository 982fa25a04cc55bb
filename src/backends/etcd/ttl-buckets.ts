/**
 * TtlBuckets: per-entry TTLs on shared leases. An entry that must live `ttlMs` is put on the
 * lease of its expiry bucket: the next whole second (epoch time) at or after
 * max(now + ttlMs, now + etcd's minimum lease TTL). One lease per bucket per client, granted on
 * first use with a TTL that reaches the bucket's end, so a million TTL'd entries written by one
 * client over an hour need at most 3 600 leases, not a million.
 *
 * Bounds: an entry never expires before its TTL; it may live longer by up to the bucket (1 s),
 * the rounding of the lease TTL to whole seconds (1 s) and etcd's expiry sweep (0.5 s), or up to
 * etcd's minimum lease TTL when the TTL is shorter than that — `ttlGranularityMs` is the sum.
 * A leader change in etcd renews every lease, so entries may then live up to one more TTL.
 *
 * A bucket's lease is reused only while at least the minimum lease TTL remains before its end,
 * so a put never races the lease's expiry. If etcd reports the lease gone anyway (revoked by
 * hand), `withLease` forgets it and tries once more with a new one.
 */
import type { BatonError } from '../../errors.js';
import type { EtcdClient } from './client.js';
import { isLeaseGone } from './errors.js';

/** BUCKET_MS is the width of an expiry bucket. */
export const BUCKET_MS = 1000;

/** TTL_SLACK_MS is how much later than its TTL an entry may expire, beyond etcd's minimum lease TTL. */
export const TTL_SLACK_MS = BUCKET_MS + 1000 + 500;

/** BucketLease is the lease an entry goes on, and the entry's own expiry (ms since the epoch). */
export interface BucketLease {
  readonly leaseId: string;
  readonly expiresAt: number;
}

/** TtlBuckets hands out shared leases for entry TTLs. */
export class TtlBuckets {
  readonly #client: EtcdClient;
  readonly #minTtlMs: number;
  readonly #leases = new Map<number, Promise<string>>();

  constructor(client: EtcdClient, minTtlMs: number) {
    this.#client = client;
    this.#minTtlMs = minTtlMs;
  }

  /**
   * withLease runs `write` with the bucket leases of `ttls` (undefined entries need none), and
   * runs it once more with fresh leases if etcd says a lease is gone.
   */
  async withLease<T>(
    ttls: ReadonlyArray<number | undefined>,
    write: (leases: ReadonlyArray<BucketLease | undefined>) => Promise<T>,
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const leases = await Promise.all(
        ttls.map((ttl) => (ttl === undefined ? undefined : this.#leaseFor(ttl))),
      );
      try {
        return await write(leases);
      } catch (err) {
        if (attempt > 1 || !isLeaseGone((err as BatonError).cause)) throw err;
        const gone = new Set(leases.flatMap((lease) => (lease ? [lease.leaseId] : [])));
        await this.#forget(gone);
      }
    }
  }

  async #leaseFor(ttlMs: number): Promise<BucketLease> {
    const now = Date.now();
    const expiresAt = now + ttlMs;
    const bucket = Math.ceil(Math.max(expiresAt, now + this.#minTtlMs) / BUCKET_MS) * BUCKET_MS;
    for (const [end] of this.#leases) if (end - now < this.#minTtlMs) this.#leases.delete(end);
    let lease = this.#leases.get(bucket);
    if (!lease) {
      lease = this.#client.grant(Math.ceil((bucket - now) / 1000)).then((l) => l.id);
      this.#leases.set(bucket, lease);
      lease.catch(() => this.#leases.delete(bucket));
    }
    return { leaseId: await lease, expiresAt };
  }

  async #forget(ids: ReadonlySet<string>): Promise<void> {
    await Promise.all(
      [...this.#leases].map(async ([end, lease]) => {
        if (ids.has(await lease.catch(() => ''))) this.#leases.delete(end);
      }),
    );
  }
}
