/**
 * PoolContender: one acquire of `count` permits of an etcd semaphore pool (see pool-record.ts
 * for the holding rule and pool-keys.ts for the keys).
 *
 * 1. Grant a lease of the requested TTL (whole seconds, at least etcd's minimum).
 * 2. One transaction, if this token has no contender key yet:
 *    - the pool has no contender (unused): fix its size (`P/poolsizes/…` = permits), record the
 *      fence, and put the key marked granted — the caller holds, fence = the key's revision;
 *    - else, when the recorded size equals `permits`: read every contender (all are ahead) and
 *      put the key; otherwise put nothing and fail with InvalidArgumentError.
 * 3. Granted when the counts ahead plus its own fit the pool; it then marks its key granted and
 *    raises the fence record in one transaction that first checks the key still exists.
 * 4. Otherwise (unless `waitMs` is 0) watch the pool's contender range for DELETEs from the
 *    revision read at, count down the permits ahead as their keys go, and re-check (own key
 *    still there, the contenders at or before it still fit) once they may fit. A re-check that
 *    finds the key at the head grants and marks in the same transaction.
 *
 * The lease is kept alive while waiting, and re-checked with the grant, so a grant starts with a
 * full TTL measured from before the re-check was sent. A lost lease queues again at the back. A
 * backstop re-check after the longest TTL ahead covers a watch stuck on an isolated member. A
 * timeout, abort, close or failure revokes the lease (deleting the key) before the call settles,
 * so a contender that was not granted — including a tryAcquire (`waitMs` 0) — leaves nothing.
 *
 * How it fails: InvalidArgumentError when the pool is in use with another size (nothing put);
 * the signal's reason when aborted; BackendUnavailableError when the client closes or etcd
 * cannot be reached; resolves null when not granted in time.
 */
import type { IEvent, IKeyValue, ITxnResponse } from 'etcd3';
import { BackendUnavailableError, InvalidArgumentError } from '../../errors.js';
import type { LockGrant } from '../../locks/backend.js';
import type { PermitRequest } from '../../locks/semaphore-backend.js';
import type { EtcdClient, Lease } from './client.js';
import { grantedTtlMs, ttlSecondsFor } from './contender.js';
import { leaseVanished } from './errors.js';
import { prefixEnd } from './keys.js';
import type { PoolKeys } from './pool-keys.js';
import {
  decodePoolValue,
  encodePoolValue,
  FENCE_IS_MOD_REVISION,
  recordFence,
  valueIs,
} from './pool-record.js';
import { byCreate, createIs, get, kvsOf, nested, put, putKeepLease, range, revisionOf } from './txn.js';
import { WatchStream } from './watch-stream.js';

type Wake = 'event' | 'timeout';
type Outcome = LockGrant | null | 'restart';

/** Ahead is what a waiter knows of the contenders ahead of it: key (hex) → count and lease TTL. */
type Ahead = Map<string, { readonly count: number; readonly ttlSeconds: number }>;

/** PoolContender runs one acquire; `cancel` ends it early (used by close). */
export class PoolContender {
  readonly #client: EtcdClient;
  readonly #keys: PoolKeys;
  readonly #scope: string;
  readonly #name: string;
  readonly #req: PermitRequest;
  readonly #minTtlMs: number;
  readonly #key: Buffer;
  readonly #dir: Buffer;
  readonly #dirEnd: Buffer;
  #lease: Lease | undefined;
  #rev = 0;
  #cancelled: { reason: unknown } | undefined;
  #wake: ((why: Wake | 'cancel') => void) | undefined;
  #keepAlive: NodeJS.Timeout | undefined;

  /** @param scope names the pool in errors: `semaphore/<name>` or `rwlock/<name>`. */
  constructor(
    client: EtcdClient,
    keys: PoolKeys,
    scope: string,
    name: string,
    req: PermitRequest,
    minTtlMs: number,
  ) {
    this.#client = client;
    this.#keys = keys;
    this.#scope = scope;
    this.#name = name;
    this.#req = req;
    this.#minTtlMs = minTtlMs;
    this.#key = keys.contender(name, req.token);
    this.#dir = keys.dir(name);
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
    if (this.#req.count > this.#req.permits) {
      throw new InvalidArgumentError(
        `count ${this.#req.count} exceeds the ${this.#req.permits} permits of ${this.#scope}`,
      );
    }
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
    const size = String(this.#req.permits);
    const sizeKey = this.#keys.size(this.#name);
    // A lease that expired before this transaction (a pause past its TTL) fails it whole: start over.
    const res = await this.#client
      .txn('semaphore acquire', 'idempotent', {
        compare: [createIs(this.#key, 'equal', 0)],
        success: [
          nested({
            compare: [createIs(this.#dir, 'equal', 0, this.#dirEnd)],
            success: [
              put(sizeKey, size),
              put(this.#keys.fence(this.#name), FENCE_IS_MOD_REVISION),
              put(this.#key, this.#value(lease, true), lease.id),
            ],
            failure: [
              nested({
                compare: [valueIs(sizeKey, size)],
                success: [
                  range(this.#dir, this.#dirEnd),
                  put(this.#key, this.#value(lease, false), lease.id),
                ],
                failure: [get(sizeKey)],
              }),
            ],
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
    let ahead: Ahead | undefined;
    let readRevision = revisionOf(res.header.revision);
    if (res.succeeded) {
      this.#rev = readRevision;
      const unused = txnOf(res);
      if (unused.succeeded) return { fence: this.#rev, ttlMs: this.#ttlMs(lease.ttlSeconds), startedAt };
      const sized = txnOf(unused);
      if (!sized.succeeded) throw this.#mismatch(kvsOf(sized.responses[0])[0]);
      ahead = aheadOf(kvsOf(sized.responses[0]), undefined);
      if (this.#fits(ahead)) return this.#marked(await this.#mark(lease), lease.ttlSeconds, startedAt);
      if (this.#req.waitMs <= 0) return null;
    } else {
      const own = kvsOf(res.responses[0])[0];
      if (own?.lease !== lease.id) {
        // Another acquire holds or awaits this pool with the same token: never grant twice.
        await this.#abandon();
        await this.#waitFor(undefined, 0, deadline);
        return null;
      }
      this.#rev = revisionOf(own.create_revision); // our own earlier attempt went through
    }
    this.#startKeepAlive(lease);
    for (;;) {
      if (ahead && (await this.#waitFor(ahead, readRevision, deadline)) === 'timeout') return null;
      this.#checkCancelled();
      const checkStartedAt = performance.now();
      const [check, ttlSeconds] = await Promise.all([
        this.#check(lease),
        this.#client.keepAliveOnce(lease.id),
      ]);
      this.#checkCancelled();
      if (ttlSeconds <= 0) return 'restart'; // lease lost: its key is gone, queue again
      if (check.succeeded) return this.#grant(ttlSeconds, checkStartedAt); // at the head
      const own = kvsOf(check.responses[0])[0];
      if (!own) return 'restart';
      ahead = aheadOf(kvsOf(check.responses[1]), own);
      if (this.#fits(ahead)) return this.#marked(await this.#mark(lease), ttlSeconds, checkStartedAt);
      readRevision = revisionOf(check.header.revision);
    }
  }

  #value(lease: Lease, granted: boolean): string {
    return encodePoolValue({
      permits: this.#req.permits,
      count: this.#req.count,
      owner: this.#req.owner,
      ttlSeconds: lease.ttlSeconds,
      granted,
    });
  }

  /** #marked turns #mark's answer into the outcome: a grant, or (key gone) queue again. */
  #marked(marked: boolean, ttlSeconds: number, startedAt: number): Outcome {
    this.#checkCancelled();
    return marked ? this.#grant(ttlSeconds, startedAt) : 'restart';
  }

  #grant(ttlSeconds: number, startedAt: number): LockGrant {
    return { fence: this.#rev, ttlMs: this.#ttlMs(ttlSeconds), startedAt };
  }

  #ttlMs(setSeconds: number): number {
    return grantedTtlMs(this.#req.ttlMs, setSeconds, this.#minTtlMs);
  }

  /** #fits is true when this contender's count fits beside every contender ahead of it. */
  #fits(ahead: Ahead): boolean {
    let used = this.#req.count;
    for (const { count } of ahead.values()) used += count;
    return used <= this.#req.permits;
  }

  /**
   * #check grants outright when this key exists and no older contender is left (the head always
   * fits), marking it; else reads this key and every contender up to it.
   */
  #check(lease: Lease): Promise<ITxnResponse> {
    return this.#client.txn('semaphore re-check', 'idempotent', {
      compare: [
        createIs(this.#key, 'equal', this.#rev),
        createIs(this.#dir, 'greater', this.#rev - 1, this.#dirEnd),
      ],
      success: [
        putKeepLease(this.#key, this.#value(lease, true)),
        recordFence(this.#keys.fence(this.#name), this.#rev),
      ],
      failure: [
        get(this.#key),
        range(this.#dir, this.#dirEnd, { ...byCreate('asc', 0), max_create_revision: this.#rev }),
      ],
    });
  }

  /** #mark records the grant (key marked, fence record raised); false when the key is gone. */
  async #mark(lease: Lease): Promise<boolean> {
    const res = await this.#client.txn('semaphore grant', 'idempotent', {
      compare: [createIs(this.#key, 'equal', this.#rev)],
      success: [
        putKeepLease(this.#key, this.#value(lease, true)),
        recordFence(this.#keys.fence(this.#name), this.#rev),
      ],
    });
    return res.succeeded;
  }

  #mismatch(size: IKeyValue | undefined): InvalidArgumentError {
    const has = size ? `has ${size.value.toString('utf8')} permits` : 'has no recorded size';
    return new InvalidArgumentError(
      `${this.#scope} ${has} while in use; this handle asked for ${this.#req.permits}`,
    );
  }

  /**
   * #waitFor waits until the contenders ahead that were deleted leave room for this one (or the
   * backstop re-check, or the deadline). Without `ahead` it only waits for the deadline. Rejects
   * when cancelled.
   */
  #waitFor(ahead: Ahead | undefined, readRevision: number, deadline: number): Promise<Wake> {
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
      if (!ahead) return;
      // Backstop: re-check at the longest TTL ahead even if no event arrives.
      let longest = 0;
      for (const { ttlSeconds } of ahead.values()) longest = Math.max(longest, ttlSeconds);
      timers.push(setTimeout(() => finish('event'), Math.max(2_000, longest * 1000 + 1_000)));
      const wake = () => finish('event');
      const onEvents = (events: readonly IEvent[]) => {
        for (const e of events) if (e.type !== 'Put') ahead.delete(e.kv.key.toString('hex'));
        if (this.#fits(ahead)) finish('event');
      };
      watch = new WatchStream(
        this.#client,
        { key: this.#dir, rangeEnd: this.#dirEnd, startRevision: readRevision + 1, deletesOnly: true },
        { events: onEvents, compacted: wake, failed: wake },
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

/** txnOf is the nested transaction response inside the first op of `res`. */
function txnOf(res: ITxnResponse): ITxnResponse {
  const inner = res.responses[0]?.response_txn;
  if (!inner) throw new BackendUnavailableError('etcd answered a nested transaction without its response');
  return inner;
}

/** aheadOf indexes the contender keys read, leaving out this contender's own key `own`. */
function aheadOf(kvs: readonly IKeyValue[], own: IKeyValue | undefined): Ahead {
  const ahead: Ahead = new Map();
  for (const kv of kvs) {
    if (own && kv.key.equals(own.key)) continue;
    const { count, ttlSeconds } = decodePoolValue(kv);
    ahead.set(kv.key.toString('hex'), { count, ttlSeconds });
  }
  return ahead;
}
