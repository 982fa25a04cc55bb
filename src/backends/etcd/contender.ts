/**
 * Contender: one acquire of `count` permits of an etcd queue — a semaphore pool, or a lock, which
 * is the one-permit case — the way etcd's `concurrency.Mutex` does it, generalised to counts.
 * queue-layout.ts says where each kind stores its keys; the algorithm is this one.
 *
 * 1. Open a Session (session.ts): a lease of the requested TTL (whole seconds, at least etcd's
 *    minimum).
 * 2. One transaction, if this token has no contender key yet:
 *    - the queue has no contender (unused): record its size (pools), record the fence, and put
 *      the key marked granted — the caller holds, fence = the key's create revision;
 *    - else, when the recorded size equals `permits` (locks have none to compare): read the
 *      contenders ahead and put the key; otherwise put nothing and fail with InvalidArgumentError.
 *    In a one-permit queue (a lock) a contender reads only the newest contender ahead, its
 *    predecessor, as mutex.go does: it cannot hold before that one is gone.
 * 3. Granted when the counts ahead plus its own fit the queue; it then marks its key granted
 *    (pools) and raises the fence record in one transaction that first checks the key still exists.
 * 4. Otherwise (unless `waitMs` is 0) watch for the DELETEs of the contenders ahead, from the
 *    revision read at (one key when one is ahead, the queue's range when several are), count them
 *    down, and once they may fit re-check: this key still exists with its create revision and no
 *    older contender is left (the re-check after waiting, the fix for the lock bug Jepsen found in
 *    etcd 3.4.3) grants, marks and records the fence in the same transaction; else it reads the
 *    contenders still ahead and waits again.
 *
 * The session keeps the lease alive while waiting, and the re-check renews it with the grant, so
 * a grant starts with a full TTL measured from before the re-check was sent. A lost lease (etcd
 * unreachable for a whole TTL) queues again at the back. A backstop re-check after the longest TTL
 * ahead covers a watch stuck on an isolated member. A timeout, abort, close or failure closes the
 * session (revoking the lease, which deletes the key) before the call settles, so a contender
 * that was not granted — including a try (`waitMs` 0) — leaves nothing behind.
 *
 * How it fails: InvalidArgumentError when a pool is in use with another size (nothing put) or
 * `count` exceeds `permits`; the signal's reason when aborted; BackendUnavailableError when the
 * client closes or etcd cannot be reached; resolves null when not granted in time.
 */
import type { IEvent, IKeyValue } from 'etcd3';
import { InvalidArgumentError } from '../../errors.js';
import type { LockGrant } from '../../locks/backend.js';
import type { PermitRequest } from '../../locks/semaphore-backend.js';
import type { EtcdClient } from './client.js';
import { leaseVanished } from './errors.js';
import { FENCE_IS_MOD_REVISION, recordFence } from './fence-record.js';
import { prefixEnd } from './keys.js';
import type { QueueLayout } from './queue-layout.js';
import { Session } from './session.js';
import { byCreate, createIs, get, kvsOf, put, putKeepLease, range, revisionOf, Txn, valueIs } from './txn.js';
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

/** Ahead is what a waiter knows of the contenders ahead of it: key (hex) → count and lease TTL. */
type Ahead = Map<string, { readonly key: Buffer; readonly count: number; readonly ttlSeconds: number }>;

/** Contender runs one acquire; `cancel` ends it early (used by close). */
export class Contender {
  readonly #client: EtcdClient;
  readonly #layout: QueueLayout;
  readonly #name: string;
  readonly #req: PermitRequest;
  readonly #minTtlMs: number;
  readonly #key: Buffer;
  readonly #dir: Buffer;
  readonly #dirEnd: Buffer;
  /** #newestOnly: a one-permit queue, where only the predecessor matters (mutex.go). */
  readonly #newestOnly: boolean;
  #session: Session | undefined;
  #rev = 0;
  #cancelled: { reason: unknown } | undefined;
  #wake: ((why: Wake | 'cancel') => void) | undefined;

  constructor(client: EtcdClient, layout: QueueLayout, name: string, req: PermitRequest, minTtlMs: number) {
    this.#client = client;
    this.#layout = layout;
    this.#name = name;
    this.#req = req;
    this.#minTtlMs = minTtlMs;
    this.#key = layout.contender(name, req.token);
    this.#dir = layout.dir(name);
    this.#dirEnd = prefixEnd(this.#dir);
    this.#newestOnly = req.permits === 1;
  }

  /** cancel ends the acquire: it rejects with `reason` after closing its session. */
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
        `count ${this.#req.count} exceeds the ${this.#req.permits} permits of ${this.#layout.scope(this.#name)}`,
      );
    }
    const onAbort = () => this.cancel(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    const deadline = performance.now() + this.#req.waitMs;
    try {
      for (;;) {
        const outcome = await this.#attempt(deadline);
        if (outcome !== null && outcome !== 'restart') {
          this.#session?.handOver();
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
    const session = await Session.grant(this.#client, ttlSecondsFor(this.#req.ttlMs));
    this.#session = session;
    this.#checkCancelled();
    const enqueue = this.#enqueue(session);
    // A lease that expired before this transaction (a pause past its TTL) fails it whole: start over.
    const sent = await this.#client
      .txn(`${this.#layout.kind} acquire`, 'idempotent', enqueue.request)
      .catch((err: unknown) => {
        if (leaseVanished(err)) return undefined;
        throw err;
      });
    this.#checkCancelled();
    if (!sent) return 'restart';
    const res = enqueue.answer(sent);
    let ahead: Ahead | undefined;
    let readRevision = res.revision;
    if (res.succeeded) {
      this.#rev = readRevision;
      const queue = res.got.queue;
      if (queue.succeeded) return this.#grant(session.lease.ttlSeconds, startedAt); // unused: granted
      const inUse = queue.got.inUse;
      if (!inUse.succeeded) throw this.#mismatch(kvsOf(inUse.got.size[0])[0]);
      ahead = this.#aheadOf(kvsOf(inUse.got.ahead));
      if (this.#fits(ahead))
        return this.#marked(await this.#mark(session), session.lease.ttlSeconds, startedAt);
      if (this.#req.waitMs <= 0) return null;
    } else {
      const own = kvsOf(res.got.own)[0];
      if (own?.lease !== session.lease.id) {
        // Another acquire holds or awaits this queue with the same token: never grant twice.
        await this.#abandon();
        await this.#waitFor(undefined, 0, deadline);
        return null;
      }
      this.#rev = revisionOf(own.create_revision); // our own earlier attempt went through
    }
    session.keepAlive();
    for (;;) {
      if (ahead && (await this.#waitFor(ahead, readRevision, deadline)) === 'timeout') return null;
      this.#checkCancelled();
      const checkStartedAt = performance.now();
      const recheck = this.#recheck(session);
      const [sentCheck, ttlSeconds] = await Promise.all([
        this.#client.txn(`${this.#layout.kind} re-check`, 'idempotent', recheck.request),
        session.renew(),
      ]);
      this.#checkCancelled();
      if (ttlSeconds <= 0) return 'restart'; // lease lost: its key is gone, queue again
      const check = recheck.answer(sentCheck);
      if (check.succeeded) return this.#grant(ttlSeconds, checkStartedAt); // at the head
      if (!kvsOf(check.got.own)[0]) return 'restart'; // our key is gone: queue again
      ahead = this.#aheadOf(kvsOf(check.got.ahead));
      if (this.#fits(ahead)) return this.#marked(await this.#mark(session), ttlSeconds, checkStartedAt);
      readRevision = check.revision;
    }
  }

  /** #enqueue puts this contender's key (see steps 2 and 3 of the file comment). */
  #enqueue(session: Session) {
    const sizeKey = this.#layout.size(this.#name);
    const size = String(this.#req.permits);
    const lease = session.lease.id;
    return new Txn({
      compare: [createIs(this.#key, 'equal', 0)],
      success: {
        queue: new Txn({
          compare: [createIs(this.#dir, 'equal', 0, this.#dirEnd)],
          success: {
            size: sizeKey ? [put(sizeKey, size)] : [],
            fence: put(this.#layout.fence(this.#name), FENCE_IS_MOD_REVISION),
            put: put(this.#key, this.#value(session, true), lease),
          },
          failure: {
            inUse: new Txn({
              compare: sizeKey ? [valueIs(sizeKey, size)] : [],
              success: {
                ahead: range(this.#dir, this.#dirEnd, this.#newestOnly ? byCreate('desc') : {}),
                put: put(this.#key, this.#value(session, false), lease),
              },
              failure: { size: sizeKey ? [get(sizeKey)] : [] },
            }),
          },
        }),
      },
      failure: { own: get(this.#key) },
    });
  }

  /**
   * #recheck grants outright when this key exists and no older contender is left (the head always
   * fits), marking it; else reads this key and the contenders still ahead of it.
   */
  #recheck(session: Session) {
    const order = this.#newestOnly ? byCreate('desc') : byCreate('asc', 0);
    return new Txn({
      compare: [
        createIs(this.#key, 'equal', this.#rev),
        createIs(this.#dir, 'greater', this.#rev - 1, this.#dirEnd),
      ],
      success: this.#grantOps(session),
      failure: {
        own: get(this.#key),
        ahead: range(this.#dir, this.#dirEnd, { ...order, max_create_revision: this.#rev - 1 }),
      },
    });
  }

  /** #mark records the grant (key marked, fence record raised); false when the key is gone. */
  async #mark(session: Session): Promise<boolean> {
    const mark = new Txn({
      compare: [createIs(this.#key, 'equal', this.#rev)],
      success: this.#grantOps(session),
    });
    const res = await this.#client.txn(`${this.#layout.kind} grant`, 'idempotent', mark.request);
    return res.succeeded;
  }

  /** #grantOps mark the key granted (where the layout keeps a mark) and raise the fence record. */
  #grantOps(session: Session) {
    return {
      mark: this.#layout.marksGrant ? [putKeepLease(this.#key, this.#value(session, true))] : [],
      fence: recordFence(this.#layout.fence(this.#name), this.#rev),
    };
  }

  #value(session: Session, granted: boolean): string {
    return this.#layout.encode({
      permits: this.#req.permits,
      count: this.#req.count,
      owner: this.#req.owner,
      ttlSeconds: session.lease.ttlSeconds,
      granted,
    });
  }

  /** #marked turns #mark's answer into the outcome: a grant, or (key gone) queue again. */
  #marked(marked: boolean, ttlSeconds: number, startedAt: number): Outcome {
    this.#checkCancelled();
    return marked ? this.#grant(ttlSeconds, startedAt) : 'restart';
  }

  #grant(ttlSeconds: number, startedAt: number): LockGrant {
    return { fence: this.#rev, ttlMs: grantedTtlMs(this.#req.ttlMs, ttlSeconds, this.#minTtlMs), startedAt };
  }

  /** #fits is true when this contender's count fits beside every contender ahead of it. */
  #fits(ahead: Ahead): boolean {
    let used = this.#req.count;
    for (const { count } of ahead.values()) used += count;
    return used <= this.#req.permits;
  }

  /** #aheadOf indexes the contender keys read ahead of this one. */
  #aheadOf(kvs: readonly IKeyValue[]): Ahead {
    const ahead: Ahead = new Map();
    for (const kv of kvs) {
      const { count, ttlSeconds } = this.#layout.decode(kv);
      ahead.set(kv.key.toString('hex'), { key: kv.key, count, ttlSeconds });
    }
    return ahead;
  }

  #mismatch(size: IKeyValue | undefined): InvalidArgumentError {
    const has = size ? `has ${size.value.toString('utf8')} permits` : 'has no recorded size';
    return new InvalidArgumentError(
      `${this.#layout.scope(this.#name)} ${has} while in use; this handle asked for ${this.#req.permits}`,
    );
  }

  /**
   * #waitFor waits until the contenders ahead that were deleted leave room for this one, or the
   * session is lost (the re-check then queues again), or the backstop re-check, or the deadline.
   * Without `ahead` it only waits for the deadline. Rejects when cancelled.
   */
  #waitFor(ahead: Ahead | undefined, readRevision: number, deadline: number): Promise<Wake> {
    return new Promise<Wake>((resolve, reject) => {
      const timers: NodeJS.Timeout[] = [];
      let watch: WatchStream | undefined;
      const lost = ahead ? this.#session?.done : undefined;
      const wake = () => finish('event');
      const finish = (why: Wake | 'cancel') => {
        if (this.#wake !== finish) return;
        this.#wake = undefined;
        for (const t of timers) clearTimeout(t);
        watch?.close();
        lost?.removeEventListener('abort', wake);
        if (why === 'cancel') reject(this.#cancelled?.reason);
        else resolve(why);
      };
      this.#wake = finish;
      if (this.#cancelled) return finish('cancel');
      const left = deadline - performance.now();
      if (left <= 0) return finish('timeout');
      if (Number.isFinite(left)) timers.push(setTimeout(() => finish('timeout'), Math.ceil(left)));
      if (!ahead) return;
      if (lost?.aborted) return finish('event');
      lost?.addEventListener('abort', wake, { once: true });
      // Backstop: re-check at the longest TTL ahead even if no event arrives.
      let longest = 0;
      for (const { ttlSeconds } of ahead.values()) longest = Math.max(longest, ttlSeconds);
      timers.push(setTimeout(wake, Math.max(2_000, longest * 1000 + 1_000)));
      const onEvents = (events: readonly IEvent[]) => {
        for (const e of events) if (e.type !== 'Put') ahead.delete(e.kv.key.toString('hex'));
        if (this.#fits(ahead)) finish('event');
      };
      const [only] = ahead.size === 1 ? ahead.values() : [];
      watch = new WatchStream(
        this.#client,
        only
          ? { key: only.key, startRevision: readRevision + 1, deletesOnly: true }
          : { key: this.#dir, rangeEnd: this.#dirEnd, startRevision: readRevision + 1, deletesOnly: true },
        { events: onEvents, compacted: wake, failed: wake },
      );
    });
  }

  /** #abandon stops waiting and closes the session (deleting the key); a failed revoke leaves it to expire. */
  async #abandon(): Promise<void> {
    this.#wake?.('timeout');
    const session = this.#session;
    this.#session = undefined;
    await session?.close();
  }

  #checkCancelled(): void {
    if (this.#cancelled) throw this.#cancelled.reason;
  }
}
