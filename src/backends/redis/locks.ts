/**
 * RedisLocks: the lock contract on Redis. Acquire is one script and one round trip: if the holder
 * key is absent it increments the lock's fence counter (a key without TTL in the same hash slot),
 * stores the holder with PX = ttl and returns the fence; otherwise it returns the holder's
 * remaining TTL. A waiter then listens on the lock's release channel (one shared subscriber
 * connection per client, see wakeups.ts), retries once at once (a release may have come before
 * the subscription), and from then on retries when a release is heard or when the observed
 * holder's TTL runs out (a crashed holder publishes nothing) — never on a fixed interval.
 *
 * Not FIFO: every waiter of a released lock retries and one wins (capabilities.fairOrdering is
 * false). How it fails: BackendUnavailableError when Redis cannot be reached within `timeoutMs`,
 * also for a waiter whose subscriber connection is lost while it waits.
 */
import type { Cluster, Redis } from 'ioredis';
import { BackendUnavailableError } from '../../errors.js';
import type {
  AcquireRequest,
  LockBackend,
  LockCapabilities,
  LockGrant,
  LockInfo,
} from '../../locks/backend.js';
import type { RedisConnections } from './client.js';
import { translateError } from './errors.js';
import type { KeyLayout, LockKeys } from './keys.js';
import type { Scripts } from './scripts.js';
import type { LockWakeups } from './wakeups.js';

const CAPABILITIES: LockCapabilities = Object.freeze({
  fairOrdering: false,
  notifiedWaiting: true,
  minTtlMs: 1,
  listing: false,
});

/** LIST_BATCH is how many locks list() inspects at once. */
const LIST_BATCH = 100;

/** Attempt is the answer of one acquire script call. */
type Attempt = { grant: LockGrant; pttl?: undefined } | { grant?: undefined; pttl: number };

/** RedisLocks is one client's lock backend on Redis. */
export class RedisLocks implements LockBackend {
  readonly capabilities = CAPABILITIES;
  readonly #conns: RedisConnections;
  readonly #scripts: Scripts;
  readonly #keys: KeyLayout;
  readonly #wakeups: LockWakeups;
  #closed = false;

  constructor(conns: RedisConnections, scripts: Scripts, keys: KeyLayout, wakeups: LockWakeups) {
    this.#conns = conns;
    this.#scripts = scripts;
    this.#keys = keys;
    this.#wakeups = wakeups;
  }

  async acquire(name: string, req: AcquireRequest): Promise<LockGrant | null> {
    this.#open();
    const started = performance.now();
    const keys = this.#keys.lock(name);
    const first = await this.#attempt(name, keys, req);
    if (first.grant) return first.grant;
    if (req.waitMs <= 0) return null;
    req.signal?.throwIfAborted();
    const deadline = started + req.waitMs;
    const wake = await this.#wakeups.listen(keys.channel);
    try {
      for (;;) {
        wake.reset();
        req.signal?.throwIfAborted();
        const next = await this.#attempt(name, keys, req);
        if (next.grant) return next.grant;
        const left = deadline - performance.now();
        if (left <= 0) return null;
        const holderLeft = next.pttl >= 0 ? next.pttl + 1 : Number.POSITIVE_INFINITY;
        await wake.wait(Math.min(left, holderLeft), req.signal);
      }
    } finally {
      wake.leave();
    }
  }

  async extend(name: string, token: string, ttlMs: number): Promise<LockGrant | null> {
    this.#open();
    const startedAt = performance.now();
    const r = (await this.#scripts.run(
      'lockExtend',
      [this.#keys.lock(name).holder],
      [token, ttlMs],
    )) as number[];
    if (r[0] !== 1) return null;
    return { fence: Number(r[1]), ttlMs, startedAt };
  }

  async release(name: string, token: string): Promise<boolean> {
    this.#open();
    const keys = this.#keys.lock(name);
    return (await this.#scripts.run('lockRelease', [keys.holder], [token, keys.channel])) === 1;
  }

  async inspect(name: string): Promise<LockInfo> {
    this.#open();
    const keys = this.#keys.lock(name);
    const r = (await this.#scripts.run('lockInspect', [keys.holder, keys.fence], [])) as [
      number,
      number,
      string | null,
      number,
      string,
    ];
    const [fence, held, owner, pttl, now] = r;
    if (held !== 1) return { name, held: false, fence: Number(fence) };
    const info: LockInfo = { name, held: true, fence: Number(fence), owner: owner ?? undefined };
    return pttl >= 0 ? { ...info, expiresAt: Number(now) + pttl } : info;
  }

  /**
   * list scans for holder keys (SCAN MATCH, on every master of a cluster: a keyspace scan, hence
   * capabilities.listing is false), then inspects them in name order until `limit` held ones.
   */
  async list(options: { prefix?: string; limit?: number } = {}): Promise<LockInfo[]> {
    this.#open();
    const limit = options.limit ?? 1000;
    const pattern = this.#keys.lockPattern(options.prefix ?? '');
    const names = new Set<string>();
    const main = this.#conns.main;
    const nodes: Redis[] = this.#conns.isCluster ? (main as Cluster).nodes('master') : [main as Redis];
    try {
      for (const node of nodes) {
        let cursor = '0';
        do {
          const [next, found] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000, 'TYPE', 'hash');
          cursor = next;
          for (const key of found) {
            const lockName = this.#keys.lockName(key);
            if (lockName !== undefined) names.add(lockName);
          }
        } while (cursor !== '0');
      }
    } catch (err) {
      throw translateError(err);
    }
    const sorted = [...names].sort();
    const out: LockInfo[] = [];
    for (let i = 0; i < sorted.length && out.length < limit; i += LIST_BATCH) {
      const infos = await Promise.all(sorted.slice(i, i + LIST_BATCH).map((n) => this.inspect(n)));
      for (const info of infos) if (info.held && out.length < limit) out.push(info);
    }
    return out;
  }

  async ping(): Promise<void> {
    this.#open();
    try {
      await this.#conns.main.ping();
    } catch (err) {
      throw translateError(err);
    }
  }

  /** close fails this client's waiters with BackendUnavailableError; the connection is closed by the backend. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#wakeups.close();
  }

  /** #attempt runs the acquire script once; a grant to an aborted caller is released before rethrowing. */
  async #attempt(name: string, keys: LockKeys, req: AcquireRequest): Promise<Attempt> {
    const startedAt = performance.now();
    const owner = req.owner ?? '';
    const r = (await this.#scripts.run(
      'lockAcquire',
      [keys.holder, keys.fence],
      [req.token, req.ttlMs, owner, req.owner === undefined ? '0' : '1'],
    )) as number[];
    if (r[0] !== 1) return { pttl: Number(r[1]) };
    if (req.signal?.aborted || this.#closed) {
      await this.release(name, req.token).catch(() => undefined);
      if (req.signal?.aborted) throw req.signal.reason;
      throw new BackendUnavailableError('baton client closed while acquiring');
    }
    return { grant: { fence: Number(r[1]), ttlMs: req.ttlMs, startedAt } };
  }

  #open(): void {
    if (this.#closed) throw new BackendUnavailableError('baton client is closed');
  }
}
