/**
 * Extension ordering, shared by the lock, semaphore and rwlock suites: extensions of one lease
 * that overlap (two calls with different TTLs, or a call meeting the keep-alive tick) must leave
 * the client's `expiresAt` no later than the store's expiry, whatever order the store applied
 * them in; and once the store's expiry passes, another contender is granted only after the first
 * lease says it is lost.
 *
 * The checks compare states, not speeds: the store's expiry is read after the client's (so an
 * extension sent in between can only move the store later), and the TTLs differ by far more than
 * any margin (3 s against 60 s, where the slack is SLACK_MS).
 *
 * The checks mostly wait (the keep-alive check about 9 s: two short TTLs, then the store's expiry),
 * so the checks of one kind run at once, and the semaphore's beside the rwlock's: each uses its
 * own clients (closed when it ends) and its own names, and runs exactly as it would alone.
 */
import { describe, it, type TestContext } from 'vitest';
import { type Baton, type Lease, LockTimeoutError } from '../../src/index.js';
import { type Harness, LONG_TEST_MS, lockTtl, SLACK_MS, uniqueName } from './harness.js';
import { poolTtl, requirePools } from './semaphore.js';

/**
 * twoClients opens two clients for the running test and closes them when it ends (useClients'
 * afterEach would close them under a test still running beside it).
 */
async function twoClients(h: Harness, ctx: TestContext): Promise<[Baton, Baton]> {
  const opened = await Promise.allSettled([h.connect(), h.connect()]);
  ctx.onTestFinished(async () => {
    await Promise.all(opened.map((r) => (r.status === 'fulfilled' ? r.value.close() : undefined)));
  });
  const [a, b] = opened;
  if (a?.status !== 'fulfilled') throw a?.reason;
  if (b?.status !== 'fulfilled') throw b?.reason;
  return [a.value, b.value];
}

/** lockExtendOrderTests registers the ordering checks for locks. */
export function lockExtendOrderTests(h: Harness): void {
  describe.concurrent('lock: overlapping extensions', () => {
    const lock = async (ctx: TestContext): Promise<ExtendSubject> => {
      const [a, b] = await twoClients(h, ctx);
      return {
        short: lockTtl(a, 3_000),
        long: lockTtl(a, 60_000),
        mid: lockTtl(a, 10_000),
        acquire: (ttlMs) => a.lock(uniqueName('lock')).acquire({ ttlMs }),
        storeExpiry: async (lease) => {
          const info = await b.lock(lease.name).inspect();
          return info.held && info.fence === lease.fence ? info.expiresAt : undefined;
        },
        contend: (lease, waitMs) =>
          b
            .lock(lease.name)
            .acquire({ waitMs, ttlMs: lockTtl(b, 30_000) })
            .catch(noTimeout),
      };
    };
    registerChecks(lock);
  });
}

/** poolExtendOrderTests registers the ordering checks for semaphores and rwlocks (write leases). */
export function poolExtendOrderTests(h: Harness): void {
  for (const kind of ['semaphore', 'rwlock'] as const) {
    describe.concurrent(`${kind}: overlapping extensions`, () => {
      const pool = async (ctx: TestContext): Promise<ExtendSubject> => {
        const [a, b] = await twoClients(h, ctx);
        requirePools(h, a, ctx);
        const take = (c: Baton, name: string, ttlMs: number, waitMs?: number) =>
          kind === 'semaphore'
            ? c.semaphore(name, { permits: 1, ttlMs }).acquire({ waitMs })
            : c.rwlock(name, { ttlMs }).write({ waitMs });
        return {
          short: poolTtl(a, 3_000),
          long: poolTtl(a, 60_000),
          mid: poolTtl(a, 10_000),
          acquire: (ttlMs) => take(a, uniqueName(kind === 'semaphore' ? 'sem' : 'rw'), ttlMs),
          storeExpiry: async (lease) => {
            const info =
              kind === 'semaphore'
                ? await b.semaphore(lease.name).inspect()
                : await b.rwlock(lease.name).inspect();
            return info.holders.find((x) => x.fence === lease.fence)?.expiresAt;
          },
          contend: (lease, waitMs) => take(b, lease.name, poolTtl(b, 30_000), waitMs).catch(noTimeout),
        };
      };
      registerChecks(pool);
    });
  }
}

function registerChecks(subject: (ctx: TestContext) => Promise<ExtendSubject>): void {
  it(
    'concurrent extends with different TTLs never leave expiresAt past the store’s expiry',
    async (ctx) => {
      ctx.expect(await concurrentExtendViolations(await subject(ctx))).toEqual([]);
    },
    LONG_TEST_MS,
  );
  it(
    'manual extends meeting the keep-alive never leave expiresAt past the store’s expiry',
    async (ctx) => {
      ctx.expect(await keepAliveExtendViolations(await subject(ctx))).toEqual([]);
    },
    LONG_TEST_MS,
  );
}

/** ExtendSubject is one kind of lease, as the ordering checks need it. */
export interface ExtendSubject {
  /**
   * short, mid and long are the TTLs used (short at least the store's minimum): a lease is taken
   * with `mid`, so both `short` and `long` change its TTL (on etcd, each moves it to a new lease).
   */
  readonly short: number;
  readonly mid: number;
  readonly long: number;
  /** acquire takes a lease with `ttlMs` on a fresh name. */
  acquire(ttlMs: number): Promise<Lease>;
  /** storeExpiry is the store's expiry of `lease` (ms since the epoch, from inspect), or undefined if it holds nothing. */
  storeExpiry(lease: Lease): Promise<number | undefined>;
  /** contend waits up to `waitMs` for `lease`'s lock from another client; null when not granted. */
  contend(lease: Lease, waitMs: number): Promise<Lease | null>;
}

/**
 * TRIALS is how many leases the concurrent check runs, at once. Before the fix, on one etcd, 5
 * of 20 sequential trials of one `[long, short]` pair left the client 57 s past the store, and
 * 1 to 3 of 12 parallel trials did in each of two runs of each kind.
 */
export const TRIALS = 24;

/** noTimeout turns a contender's LockTimeoutError into null. */
export function noTimeout(err: unknown): null {
  if (err instanceof LockTimeoutError) return null;
  throw err;
}

/**
 * concurrentExtendViolations runs TRIALS leases at once, each extended by a long and a short
 * TTL at the same time (in both orders), and returns what broke the invariant (empty when none).
 */
export async function concurrentExtendViolations(s: ExtendSubject): Promise<string[]> {
  const trials = Array.from({ length: TRIALS }, async (_, trial) => {
    const lease = await s.acquire(s.mid);
    const batch = trial % 2 === 0 ? [s.long, s.short] : [s.short, s.long];
    const results = await Promise.allSettled(batch.map((ttl) => lease.extend(ttl)));
    const failed = results.filter((r) => r.status === 'rejected').length;
    const out = failed > 0 ? [`trial ${trial}: ${failed} of ${batch.length} extensions failed`] : [];
    return [...out, ...(await checkAgainstStore(s, lease, `trial ${trial}`))];
  });
  return (await Promise.all(trials)).flat();
}

/**
 * keepAliveExtendViolations extends one lease by hand, one call at a time, alternating long and
 * short, while its keep-alive runs (every TTL/3), for two short TTLs, checking after every call;
 * then checks the contender as above. Only the keep-alive's tick overlaps a manual call.
 */
export async function keepAliveExtendViolations(s: ExtendSubject): Promise<string[]> {
  const violations: string[] = [];
  const lease = await s.acquire(s.short);
  const stop = lease.keepAlive();
  const until = performance.now() + 2 * s.short;
  let round = 0;
  while (performance.now() < until && !lease.lost) {
    const failed = await lease.extend(round % 2 === 0 ? s.long : s.short).then(
      () => false,
      () => true,
    );
    if (failed) violations.push(`round ${round}: extension failed`);
    const client = lease.expiresAt; // read before the store: see the module comment
    const store = await s.storeExpiry(lease);
    if (!lease.lost && (store === undefined || client > store + SLACK_MS)) {
      violations.push(`round ${round}: client expiresAt ${client - (store ?? 0)} ms after the store's`);
    }
    round++;
  }
  if (lease.lost) violations.push(`round ${round}: lease lost while extended by hand and by keep-alive`);
  stop();
  await lease.extend(s.short).catch(() => undefined); // settles a tick still in flight
  violations.push(...(await checkAgainstStore(s, lease, 'after keep-alive')));
  return violations;
}

/**
 * checkAgainstStore compares the lease with the store; when the store's expiry is near, it waits
 * for another contender to be granted and checks the lease said it was lost by then.
 */
async function checkAgainstStore(s: ExtendSubject, lease: Lease, what: string): Promise<string[]> {
  const out: string[] = [];
  const client = lease.expiresAt; // read before the store: see the module comment
  const store = await s.storeExpiry(lease);
  if (lease.lost) return out;
  if (store === undefined) return [`${what}: the store holds nothing but the lease is not lost`];
  if (client > store + SLACK_MS) out.push(`${what}: client expiresAt ${client - store} ms after the store's`);
  const left = store - Date.now();
  if (left > s.long / 2) {
    await lease.release();
    return out;
  }
  // The contender may wait well past the store's expiry: what is checked is that the lease said
  // it was lost by the time another was granted; on a machine under stress, with two test files at
  // once, a waiter's wake-up after the expiry took more than SLACK_MS (a fresh-clone run beside
  // stress-ng, Redis Cluster semaphore).
  const other = await s.contend(lease, Math.max(0, left) + 3 * SLACK_MS);
  if (!other) out.push(`${what}: no contender was granted after the store's expiry`);
  else if (!lease.lost) out.push(`${what}: another client was granted while the lease said it was held`);
  await other?.release();
  return out;
}
