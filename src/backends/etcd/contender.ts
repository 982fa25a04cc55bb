/**
 * Contender: one acquire of an etcd lock, the way etcd's `concurrency.Mutex` does it.
 *
 * 1. Grant a lease of the requested TTL (rounded up to whole seconds, raised to etcd's minimum).
 * 2. One transaction: if this token's key `P/locks/<name>/<id>` is absent, read the newest
 *    existing contender (the predecessor), put the key on the lease, and — when the lock had no
 *    contender at all — record the fence; the key's create revision is the fence.
 * 3. No predecessor: granted. Otherwise (unless `waitMs` is 0) watch the predecessor's key for
 *    its DELETE, from the revision the transaction read at, so no release is missed.
 * 4. On that event, one transaction checks that this key still exists with its create revision
 *    and that no older contender is left (the re-check after waiting, the fix for the lock bug
 *    Jepsen found in etcd 3.4.3); it records the fence when granted, or names the next
 *    predecessor to watch. A keep-alive of the lease runs alongside, so the grant starts with a
 *    full TTL measured from before it was sent.
 *
 * Waiting is by notification; a backstop re-check after the predecessor's TTL covers a watch
 * stuck on an isolated member. The waiter's lease is kept alive while it waits; if it is lost
 * anyway (the cluster was unreachable for a whole TTL), the contender starts again at the back of
 * the queue. A timeout, abort or close revokes the lease, which deletes the key, before the call
 * settles: a contender that was not granted leaves nothing behind.
 *
 * How it fails: rejects with the signal's reason when aborted, BackendUnavailableError when the
 * client closes or etcd cannot be reached; resolves null when not granted in time.
 */
import type { IKeyValue } from 'etcd3';
import type { AcquireRequest, LockGrant } from '../../locks/backend.js';
import type { EtcdClient, Lease } from './client.js';
import { leaseVanished } from './errors.js';
import { decodeHolder, encodeHolder, FENCE_IS_MOD_REVISION, fenceRecordValue } from './holder.js';
import { prefixEnd } from './keys.js';
import { byCreate, createIs, get, kvsOf, nested, put, range, revisionOf } from './txn.js';
import { WatchStream } from './watch-stream.js';

/** ttlSecondsFor rounds a TTL in ms up to whole seconds (etcd leases have second granularity). */
export function ttlSecondsFor(ttlMs: number): number {
  return Math.max(1, Math.ceil(ttlMs / 1000));
}

/**
 * grantedTtlMs is the TTL a grant reports: the requested TTL raised to etcd's minimum, never more
 * than etcd set. etcd keeps the key up to a second longer (whole seconds); reporting the request
 * keeps the holder's deadline where it asked for it, which is conservative.
 */
export function grantedTtlMs(requestedMs: number, setSeconds: number, minTtlMs: number): number {
  return Math.min(setSeconds * 1000, Math.max(requestedMs, minTtlMs));
}

type Wake = 'event' | 'timeout';
type Outcome = LockGrant | null | 'restart';

/** Contender runs one acquire; `cancel` ends it early (used by close). */
export class Contender {
  readonly #client: EtcdClient;
  readonly #name: string;
  readonly #req: AcquireRequest;
  readonly #key: Buffer;
  readonly #dir: Buffer;
  readonly #dirEnd: Buffer;
  #lease: Lease | undefined;
  #rev = 0;
  #cancelled: { reason: unknown } | undefined;
  #wake: ((why: Wake | 'cancel') => void) | undefined;
  #keepAlive: NodeJS.Timeout | undefined;

  readonly #minTtlMs: number;

  constructor(client: EtcdClient, name: string, req: AcquireRequest, minTtlMs: number) {
    this.#client = client;
    this.#minTtlMs = minTtlMs;
    this.#name = name;
    this.#req = req;
    this.#key = client.keys.lockKey(name, req.token);
    this.#dir = client.keys.lockDir(name);
    this.#dirEnd = prefixEnd(this.#dir);
  }

  /** cancel ends the acquire: it rejects with `reason` after revoking its lease. */
  cancel(reason: unknown): void {
    if (this.#cancelled) return;
    this.#cancelled = { reason };
    this.#wake?.('cancel');
  }

  /** run performs the acquire (see the file comment). */
  async run(): Promise<LockGrant | null> {
    const signal = this.#req.signal;
    signal?.throwIfAborted();
    const onAbort = () => this.cancel(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    const deadline = performance.now() + this.#req.waitMs;
    try {
      for (;;) {
        const outcome = await this.#attempt(deadline);
        if (outcome !== null && outcome !== 'restart') {
          this.#stopKeepAlive();
          return outcome;
        }
        await this.#abandon();
        if (outcome === null || performance.now() >= deadline) return null;
      }
    } catch (err) {
      await this.#abandon();
      throw err;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  async #attempt(deadline: number): Promise<Outcome> {
    this.#checkCancelled();
    const startedAt = performance.now();
    const lease = await this.#client.grant(ttlSecondsFor(this.#req.ttlMs));
    this.#lease = lease;
    this.#checkCancelled();
    // A lease that expired before this transaction (a pause past its TTL) fails it whole: start over.
    const res = await this.#client
      .txn('lock acquire', 'idempotent', {
        compare: [createIs(this.#key, 'equal', 0)],
        success: [
          range(this.#dir, this.#dirEnd, byCreate('desc')),
          put(this.#key, encodeHolder({ owner: this.#req.owner, ttlSeconds: lease.ttlSeconds }), lease.id),
          nested({
            compare: [createIs(this.#dir, 'equal', 0, this.#dirEnd)],
            success: [put(this.#client.keys.fenceRecord(this.#name), FENCE_IS_MOD_REVISION)],
          }),
        ],
        failure: [get(this.#key)],
      })
      .catch((err: unknown) => {
        if (leaseVanished(err)) return undefined;
        throw err;
      });
    this.#checkCancelled();
    if (!res) return 'restart';
    let pred: IKeyValue | undefined;
    let readRevision = revisionOf(res.header.revision);
    if (res.succeeded) {
      this.#rev = readRevision;
      pred = kvsOf(res.responses[0])[0];
      if (!pred) return { fence: this.#rev, ttlMs: this.#ttlMs(lease.ttlSeconds), startedAt };
      if (this.#req.waitMs <= 0) return null;
    } else {
      const own = kvsOf(res.responses[0])[0];
      if (own?.lease !== lease.id) {
        // Another acquire holds or awaits this lock with the same token: never grant twice.
        await this.#abandon();
        await this.#waitFor(undefined, 0, deadline);
        return null;
      }
      this.#rev = revisionOf(own.create_revision); // our own earlier attempt went through
    }
    this.#startKeepAlive(lease);
    for (;;) {
      if (pred && (await this.#waitFor(pred, readRevision, deadline)) === 'timeout') return null;
      this.#checkCancelled();
      const confirmStartedAt = performance.now();
      const [check, ttlSeconds] = await Promise.all([this.#confirm(), this.#client.keepAliveOnce(lease.id)]);
      this.#checkCancelled();
      if (check.succeeded && ttlSeconds > 0)
        return { fence: this.#rev, ttlMs: this.#ttlMs(ttlSeconds), startedAt: confirmStartedAt };
      pred = kvsOf(check.responses[1])[0];
      if (check.succeeded || ttlSeconds <= 0 || kvsOf(check.responses[0]).length === 0 || !pred)
        return 'restart'; // our key or lease is gone: queue again
      readRevision = revisionOf(check.header.revision);
    }
  }

  #ttlMs(setSeconds: number): number {
    return grantedTtlMs(this.#req.ttlMs, setSeconds, this.#minTtlMs);
  }

  /** #confirm grants when this key exists and no older contender is left; else names the predecessor. */
  #confirm() {
    return this.#client.txn('lock re-check', 'idempotent', {
      compare: [
        createIs(this.#key, 'equal', this.#rev),
        createIs(this.#dir, 'greater', this.#rev - 1, this.#dirEnd),
      ],
      success: [put(this.#client.keys.fenceRecord(this.#name), fenceRecordValue(this.#rev))],
      failure: [
        get(this.#key),
        range(this.#dir, this.#dirEnd, { ...byCreate('desc'), max_create_revision: this.#rev - 1 }),
      ],
    });
  }

  /**
   * #waitFor waits for the predecessor's DELETE (or the backstop re-check), or the deadline.
   * Without a predecessor it only waits for the deadline. Rejects when cancelled.
   */
  #waitFor(pred: IKeyValue | undefined, readRevision: number, deadline: number): Promise<Wake> {
    return new Promise<Wake>((resolve, reject) => {
      const timers: NodeJS.Timeout[] = [];
      let watch: WatchStream | undefined;
      const finish = (why: Wake | 'cancel') => {
        if (this.#wake !== finish) return;
        this.#wake = undefined;
        for (const t of timers) clearTimeout(t);
        watch?.close();
        if (why === 'cancel') reject(this.#cancelled?.reason);
        else resolve(why);
      };
      this.#wake = finish;
      if (this.#cancelled) return finish('cancel');
      const left = deadline - performance.now();
      if (left <= 0) return finish('timeout');
      if (Number.isFinite(left)) timers.push(setTimeout(() => finish('timeout'), Math.ceil(left)));
      if (!pred) return;
      // Backstop: a waiter re-checks at the predecessor's TTL even if no event arrives.
      const backstopMs = Math.max(2_000, decodeHolder(pred).ttlSeconds * 1000 + 1_000);
      timers.push(setTimeout(() => finish('event'), backstopMs));
      const wake = () => finish('event');
      watch = new WatchStream(
        this.#client,
        { key: pred.key, startRevision: readRevision + 1, deletesOnly: true },
        { events: wake, compacted: wake, failed: wake },
      );
    });
  }

  #startKeepAlive(lease: Lease): void {
    this.#stopKeepAlive();
    const every = Math.max(500, (lease.ttlSeconds * 1000) / 3);
    this.#keepAlive = setInterval(() => {
      this.#client.keepAliveOnce(lease.id).then(
        (ttl) => {
          if (ttl <= 0) this.#wake?.('event'); // lost: the re-check will see it and queue again
        },
        () => undefined, // unreachable: the next tick tries again; the re-check decides
      );
    }, every);
    this.#keepAlive.unref();
  }

  #stopKeepAlive(): void {
    if (this.#keepAlive) clearInterval(this.#keepAlive);
    this.#keepAlive = undefined;
  }

  /** #abandon stops waiting and revokes the lease (deleting the key); a failed revoke leaves it to expire. */
  async #abandon(): Promise<void> {
    this.#stopKeepAlive();
    this.#wake?.('timeout');
    const lease = this.#lease;
    this.#lease = undefined;
    if (lease) await this.#client.revoke(lease.id).catch(() => undefined);
  }

  #checkCancelled(): void {
    if (this.#cancelled) throw this.#cancelled.reason;
  }
}
