/**
 * The etcd backend on its own 3-member cluster while members die:
 *
 * 1. Concurrent lock holders (fenced dict writes inside) and plain dict writers run while the
 *    leader is SIGKILLed: work goes on, nobody overlaps, fences keep increasing.
 * 2. A second member is killed (no quorum): every call fails with BackendUnavailableError within
 *    the client's timeout, and no lock is granted.
 * 3. Both members are restarted: the same Baton instances recover, and fences continue upwards.
 *
 * Calls in flight when a member dies may fail with BackendUnavailableError (their fate is
 * unknown and writes are not resent); the workers count those and carry on, as a user would.
 */
import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackendUnavailableError, type Baton, connect, LockTimeoutError } from '../../src/index.js';
import { untilSucceeds } from '../support/retry.js';
import { type EtcdClusterHandle, type EtcdHandle, startEtcdCluster } from '../support/services.js';
import { batonEtcdUrl } from './helpers.js';

const TIMEOUT_MS = 3_000;
const TTL_MS = 5_000;
/** RECOVERY_MS bounds how long work may stall after the leader is killed (election plus etcd's request timeout). */
const RECOVERY_MS = 20_000;

/** progressWithin polls `done` until it holds or `ms` pass; resolves whether it held. */
async function progressWithin(done: () => boolean, ms: number): Promise<boolean> {
  const deadline = performance.now() + ms;
  while (!done()) {
    if (performance.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return true;
}

interface Tally {
  ok: number;
  unavailable: number;
  /** failures: when each BackendUnavailableError's call was started, and its message. */
  failures: Array<{ startedAt: number; message: string }>;
  other: unknown[];
}

describe('etcd backend: members killed and restarted under load', () => {
  let cluster: EtcdClusterHandle;
  let url: string;
  const batons: Baton[] = [];

  beforeAll(async () => {
    cluster = await startEtcdCluster(3);
    url = `${batonEtcdUrl(cluster.url)}&timeoutMs=${TIMEOUT_MS}`;
    batons.push(await connect(url), await connect(url));
  });

  afterAll(async () => {
    await Promise.all(batons.map((b) => b.close()));
    await cluster?.stop();
  });

  it('keeps working with one member down, fails fast without quorum, recovers after restart', async () => {
    const [a, b] = batons as [Baton, Baton];
    const lockName = 'work';
    let inside = 0;
    let overlaps = 0;
    const fences: number[] = [];
    const locking: Tally = { ok: 0, unavailable: 0, failures: [], other: [] };
    const writing: Tally = { ok: 0, unavailable: 0, failures: [], other: [] };
    let stop = false;

    const holder = async (baton: Baton) => {
      const counter = baton.dict<number>('counted');
      while (!stop) {
        const startedAt = performance.now();
        try {
          const lease = await baton.lock(lockName, { ttlMs: TTL_MS }).acquire({ waitMs: 3_000 });
          if (inside++ > 0) overlaps++;
          fences.push(lease.fence);
          try {
            await counter.incr('n', 1, { fence: lease });
          } finally {
            inside--;
            await lease.release().catch(() => undefined);
          }
          locking.ok++;
        } catch (err) {
          tallyError(locking, err, startedAt);
          await pause(50);
        }
      }
    };
    const writer = async (baton: Baton, key: string) => {
      const d = baton.dict<number>('plain');
      for (let i = 0; !stop; i++) {
        const startedAt = performance.now();
        try {
          await d.set(key, i);
          await d.incr(`${key}-n`);
          writing.ok++;
        } catch (err) {
          tallyError(writing, err, startedAt);
          await pause(50);
        }
      }
    };
    const work = Promise.all([holder(a), holder(a), holder(b), holder(b), writer(a, 'x'), writer(b, 'y')]);

    // 1. Kill the leader under load.
    await pause(1_500);
    const leader = await findLeader(cluster.members);
    const others = cluster.members.filter((m) => m !== leader);
    const beforeKill = { locking: locking.ok, writing: writing.ok };
    await leader.kill();
    // A leader election can stall requests for several seconds (etcd's request timeout), and a
    // loaded CI machine stretches that: wait for progress to resume rather than for a fixed time.
    const resumed = await progressWithin(
      () => locking.ok - beforeKill.locking > 10 && writing.ok - beforeKill.writing > 10,
      RECOVERY_MS,
    );
    expect(resumed, `lock rounds and writes resume within ${RECOVERY_MS} ms of the kill`).toBe(true);
    // Once a new leader is elected, calls succeed again: no call started in the next two seconds
    // fails. (A call sent to the killed member before that may still time out inside the window,
    // so calls are sorted by when they started; and a call started in the window may fail only
    // after a timeout, so the check waits for those to finish: a lock round is an acquire that
    // may wait TIMEOUT_MS, then a write and a release, each bounded by TIMEOUT_MS.)
    const settledAt = performance.now();
    await pause(2_000);
    const windowEnd = performance.now();
    await pause(3 * TIMEOUT_MS + 1_000);
    const failedSince = (t: Tally) =>
      t.failures.filter((f) => f.startedAt >= settledAt && f.startedAt <= windowEnd);
    expect(failedSince(locking), 'lock rounds started once the cluster settled that failed').toEqual([]);
    expect(failedSince(writing), 'writes started once the cluster settled that failed').toEqual([]);

    // 2. Kill a second member: no quorum. Every call fails with BackendUnavailableError in time.
    const second = others[0]!;
    await second.kill();
    await pause(500);
    const maxFenceBeforeOutage = Math.max(...fences);
    for (const [what, call] of [
      ['ping', () => a.ping()],
      ['set', () => a.dict('plain').set('z', 1)],
      ['get', () => b.dict('plain').get('x')],
      ['tryAcquire', () => b.lock('other').tryAcquire()],
    ] as const) {
      const started = performance.now();
      const err = await Promise.resolve()
        .then(call)
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      const tookMs = performance.now() - started;
      expect(err, what).toBeInstanceOf(BackendUnavailableError);
      // Bounded by the configured timeout, with room for a loaded machine: the point is "no hang".
      expect(tookMs, `${what} failed within the timeout`).toBeLessThan(2 * TIMEOUT_MS + 2_000);
    }
    const grantsDuringOutage = fences.length;
    await pause(2_000);
    expect(fences.length, 'no lock granted without quorum').toBe(grantsDuringOutage);

    // 3. Restart both: the same clients recover.
    await Promise.all([leader.restart(), second.restart()]);
    await eventually(() => a.ping(), 20_000);
    await eventually(() => b.ping(), 20_000);
    const afterRestart = locking.ok;
    await eventually(async () => {
      if (locking.ok <= afterRestart + 5) throw new Error('no lock rounds yet');
    }, 30_000);
    const lease = await b.lock('after-restart', { ttlMs: TTL_MS }).acquire({ waitMs: 10_000 });
    await b.dict('plain').set('after', lease.fence, { fence: lease });
    expect(await a.dict('plain').get('after')).toBe(lease.fence);
    await lease.release();

    stop = true;
    await work;
    console.log(
      `etcd member kill: ${fences.length} grants; lock rounds ${locking.ok} ok / ${locking.unavailable} unavailable; writes ${writing.ok} ok / ${writing.unavailable} unavailable`,
    );
    expect(overlaps, 'two holders at once').toBe(0);
    for (let i = 1; i < fences.length; i++) expect(fences[i]!).toBeGreaterThan(fences[i - 1]!);
    expect(Math.max(...fences)).toBeGreaterThan(maxFenceBeforeOutage);
    expect(locking.other, 'only BackendUnavailableError or LockTimeoutError').toEqual([]);
    expect(writing.other, 'only BackendUnavailableError').toEqual([]);
  }, 180_000);
});

function tallyError(t: Tally, err: unknown, startedAt: number): void {
  if (err instanceof BackendUnavailableError) {
    t.unavailable++;
    t.failures.push({ startedAt, message: err.message });
  } else if (!(err instanceof LockTimeoutError)) t.other.push(err);
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function eventually(check: () => Promise<unknown>, ms: number): Promise<void> {
  return untilSucceeds(check, { timeoutMs: ms, intervalMs: 200 });
}

/** findLeader asks each member who leads. */
async function findLeader(members: readonly EtcdHandle[]): Promise<EtcdHandle> {
  for (const member of members) {
    const client = new Etcd3({ hosts: `http://127.0.0.1:${member.clientPort}` });
    try {
      const status = await client.maintenance.status();
      if (status.leader === status.header.member_id) return member;
    } finally {
      client.close();
    }
  }
  throw new Error('no member says it leads');
}
