/**
 * Semaphores and read-write locks on one etcd member, beyond the conformance suite: what depends
 * on etcd's keys, leases and watches.
 *
 * - Queue order with a writer waiting: readers after it wait, fences follow the queue.
 * - Head-of-line: a small request behind a large one waits even when it would fit.
 * - A holder process SIGKILLed: its permits come back when its lease expires (one TTL).
 * - A waiter process SIGKILLed: it blocks the queue behind it no longer than its lease's TTL.
 * - Two clients racing to fix the size of an unused pool: exactly one wins, the other gets
 *   InvalidArgumentError and leaves no key; the pool's state is the winner's.
 * - tryAcquire, a timed-out wait and an aborted wait leave no key in etcd.
 * - Grants marked and fences recorded: extend keeps the fence, inspect's fence never goes back.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Etcd3 } from 'etcd3';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { type Baton, connect, InvalidArgumentError, type Lease, LockTimeoutError } from '../../src/index.js';
import { uniqueName } from '../conformance/harness.js';
import { etcdHosts } from '../support/services.js';
import { batonEtcdUrl, randomPrefix } from './helpers.js';

const CLIENT = fileURLToPath(new URL('./fixtures/pool-client.ts', import.meta.url));
/** SLACK_MS is the margin on every timed wait, for a loaded 2-core machine. */
const SLACK_MS = 8_000;

const prefix = randomPrefix();
const url = batonEtcdUrl(inject('etcdUrl'), prefix);
let etcd: Etcd3;
const open: Baton[] = [];

beforeAll(() => {
  etcd = new Etcd3({ hosts: etcdHosts(inject('etcdUrl')) });
});
afterAll(() => etcd.close());
afterEach(async () => {
  await Promise.all(open.splice(0).map((b) => b.close()));
});

async function client(): Promise<Baton> {
  const b = await connect(url);
  open.push(b);
  return b;
}

/** keysOf counts the contender keys etcd holds for a pool. */
function keysOf(kind: 'semaphore' | 'rwlock', name: string): Promise<number> {
  return etcd.getAll().prefix(`${prefix}/pools/${kind}/${name}/`).count();
}

/** track follows a promise so a test can ask whether it settled yet. */
function track<T>(p: Promise<T>): { p: Promise<T>; settled: () => boolean } {
  let done = false;
  p.then(
    () => {
      done = true;
    },
    () => {
      done = true;
    },
  );
  return { p, settled: () => done };
}

/** until polls `check` every 50 ms until it is true; fails after `ms`. */
async function until(check: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = performance.now() + ms;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`${what} did not happen within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** ChildClient is a forked pool-client.ts process. */
interface ChildClient {
  readonly granted: Promise<number>;
  kill(): Promise<void>;
}

function forkClient(args: string[]): ChildClient {
  const child = fork(CLIENT, [url, ...args], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const granted = new Promise<number>((resolve, reject) => {
    child.on('message', (m: { fence?: number }) => {
      if (typeof m.fence === 'number') resolve(m.fence);
    });
    child.once('exit', (code, signal) => reject(new Error(`pool client exited (${code ?? signal})`)));
  });
  granted.catch(() => undefined);
  return {
    granted,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

describe('etcd semaphores: queue order', () => {
  it('a waiting writer holds back later readers; grants and fences follow the queue', async () => {
    const [a, b, c] = [await client(), await client(), await client()];
    const name = uniqueName('rw');
    const r1 = await a.rwlock(name).read({ ttlMs: 30_000 });
    const w = track(b.rwlock(name).write({ ttlMs: 30_000, waitMs: 60_000 }));
    await until(async () => (await a.rwlock(name).inspect()).waiting === 1, SLACK_MS, 'writer queued');
    const r2 = track(c.rwlock(name).read({ ttlMs: 30_000, waitMs: 60_000 }));
    await until(async () => (await a.rwlock(name).inspect()).waiting === 2, SLACK_MS, 'reader queued');
    expect(await a.rwlock(name).tryRead()).toBeNull(); // a writer waits: no barging
    expect(await keysOf('rwlock', name)).toBe(3); // the failed tryRead left no key

    const info = await a.rwlock(name).inspect();
    expect(info).toMatchObject({ mode: 'read', readers: 1, waiting: 2, fence: r1.fence });

    await r1.release();
    const writer = await w.p;
    expect(writer.fence).toBeGreaterThan(r1.fence);
    expect(r2.settled()).toBe(false);
    expect(await a.rwlock(name).inspect()).toMatchObject({ mode: 'write', waiting: 1, fence: writer.fence });
    await writer.release();
    const reader = await r2.p;
    expect(reader.fence).toBeGreaterThan(writer.fence);
    await reader.release();
    expect(await keysOf('rwlock', name)).toBe(0);
    expect(await a.rwlock(name).inspect()).toMatchObject({ mode: 'free', fence: reader.fence, waiting: 0 });
  });

  it('head-of-line: one permit asked behind a waiting request for two waits although one is free', async () => {
    const [a, b, c] = [await client(), await client(), await client()];
    const name = uniqueName('sem');
    const held = await a.semaphore(name, { permits: 3 }).acquire({ count: 2, ttlMs: 30_000 });
    const big = track(b.semaphore(name, { permits: 3 }).acquire({ count: 2, ttlMs: 30_000, waitMs: 60_000 }));
    await until(
      async () => (await a.semaphore(name).inspect()).waiting === 1,
      SLACK_MS,
      'request for 2 queued',
    );
    const small = track(c.semaphore(name, { permits: 3 }).acquire({ ttlMs: 30_000, waitMs: 60_000 }));
    await until(
      async () => (await a.semaphore(name).inspect()).waiting === 2,
      SLACK_MS,
      'request for 1 queued',
    );
    expect(small.settled()).toBe(false);
    expect(await a.semaphore(name).inspect()).toMatchObject({ permits: 3, used: 2, waiting: 2 });

    await held.release(); // now both fit: 2 + 1 = 3
    const [bl, sl] = await Promise.all([big.p, small.p]);
    expect(sl.fence).toBeGreaterThan(bl.fence);
    const info = await a.semaphore(name).inspect();
    expect(info).toMatchObject({ permits: 3, used: 3, waiting: 0, fence: sl.fence });
    expect(info.holders.map((h) => [h.count, h.fence])).toEqual([
      [2, bl.fence],
      [1, sl.fence],
    ]);
    expect(JSON.stringify(info)).not.toContain(bl.token);
    await Promise.all([bl.release(), sl.release()]);
  });
});

describe('etcd semaphores: under contention', () => {
  it('6 clients taking 1–3 of 4 permits, and readers mixed with writers: never more held than the pool', {
    timeout: 120_000,
  }, async () => {
    const clients = await Promise.all(Array.from({ length: 6 }, () => client()));
    const sem = uniqueName('sem');
    const rw = uniqueName('rw');
    let used = 0;
    let maxUsed = 0;
    let readers = 0;
    let writers = 0;
    const fences: number[] = [];
    const hold = () => new Promise((r) => setTimeout(r, 5 + Math.random() * 15));
    await Promise.all(
      clients.map(async (b, i) => {
        for (let round = 0; round < 8; round++) {
          const count = 1 + ((i + round) % 3);
          await b.semaphore(sem, { permits: 4 }).withPermits(
            async (lease) => {
              fences.push(lease.fence);
              used += count;
              maxUsed = Math.max(maxUsed, used);
              expect(used).toBeLessThanOrEqual(4);
              await hold();
              used -= count;
            },
            { count, ttlMs: 30_000, waitMs: 60_000 },
          );
          const write = (i + round) % 4 === 0;
          const section = async () => {
            if (write) writers++;
            else readers++;
            expect(writers).toBeLessThanOrEqual(1);
            if (writers > 0) expect(readers).toBe(0);
            await hold();
            if (write) writers--;
            else readers--;
          };
          const options = { ttlMs: 30_000, waitMs: 60_000 };
          await (write ? b.rwlock(rw).withWrite(section, options) : b.rwlock(rw).withRead(section, options));
        }
      }),
    );
    expect(new Set(fences).size).toBe(48);
    expect(maxUsed).toBeGreaterThan(1); // permits were shared
    expect(await keysOf('semaphore', sem)).toBe(0);
    expect(await keysOf('rwlock', rw)).toBe(0);
  });
});

describe('etcd semaphores: crashed processes', () => {
  it("a SIGKILLed holder's permits come back when its lease expires", { timeout: 90_000 }, async () => {
    const a = await client();
    const ttlMs = a.capabilities.locks.minTtlMs; // etcd's minimum lease, 2 s by default
    const name = uniqueName('rw');
    const holder = forkClient(['rwlock', name, 'write', String(ttlMs)]);
    try {
      const childFence = await holder.granted;
      const waiter = track(a.rwlock(name).read({ ttlMs: 30_000, waitMs: 60_000 }));
      await until(async () => (await a.rwlock(name).inspect()).waiting === 1, SLACK_MS, 'reader queued');
      // The holder keeps its lease alive: the reader stays queued across several TTLs.
      await new Promise((r) => setTimeout(r, 2 * ttlMs + 1_000));
      expect(waiter.settled()).toBe(false);
      const killedAt = performance.now();
      await holder.kill();
      const lease = await waiter.p;
      const waited = performance.now() - killedAt;
      expect(lease.fence).toBeGreaterThan(childFence);
      // etcd expires the lease a TTL after its last keep-alive (whole seconds, plus its sweep).
      expect(waited).toBeLessThan(ttlMs + 1_000 + SLACK_MS);
      await lease.release();
    } finally {
      await holder.kill();
    }
  });

  it('a SIGKILLed waiter blocks the queue behind it for at most its TTL', { timeout: 90_000 }, async () => {
    const [a, b] = [await client(), await client()];
    const ttlMs = a.capabilities.locks.minTtlMs;
    const name = uniqueName('sem');
    const held = await a.semaphore(name, { permits: 2 }).acquire({ count: 2, ttlMs: 30_000 });
    const waiting = forkClient(['semaphore', name, '2', String(ttlMs), '2']);
    try {
      await until(async () => (await a.semaphore(name).inspect()).waiting === 1, 30_000, 'child queued');
      const behind = track(b.semaphore(name, { permits: 2 }).acquire({ ttlMs: 30_000, waitMs: 60_000 }));
      await until(async () => (await a.semaphore(name).inspect()).waiting === 2, SLACK_MS, 'reader queued');
      await waiting.kill();
      const killedAt = performance.now();
      await held.release();
      const lease = await behind.p;
      expect(performance.now() - killedAt).toBeLessThan(ttlMs + 1_000 + SLACK_MS);
      expect(lease.fence).toBeGreaterThan(held.fence);
      const info = await a.semaphore(name).inspect();
      expect(info).toMatchObject({ permits: 2, used: 1, waiting: 0 });
      expect(await keysOf('semaphore', name)).toBe(1);
      await lease.release();
    } finally {
      await waiting.kill();
    }
  });
});

describe('etcd semaphores: the pool size', () => {
  it('two clients racing to size an unused pool: one wins, the other gets InvalidArgumentError and leaves nothing', {
    timeout: 60_000,
  }, async () => {
    const [a, b] = [await client(), await client()];
    for (let round = 0; round < 15; round++) {
      const name = uniqueName('race');
      const results = await Promise.allSettled([
        a.semaphore(name, { permits: 2 }).acquire({ ttlMs: 30_000, waitMs: 0 }),
        b.semaphore(name, { permits: 3 }).acquire({ ttlMs: 30_000, waitMs: 0 }),
      ]);
      const won = results.flatMap((r, i) =>
        r.status === 'fulfilled' ? [{ lease: r.value, permits: i ? 3 : 2 }] : [],
      );
      const lost = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      expect(lost[0]).toBeInstanceOf(InvalidArgumentError);
      const winner = won[0]!;
      expect(await keysOf('semaphore', name)).toBe(1);
      expect(await a.semaphore(name).inspect()).toMatchObject({
        permits: winner.permits,
        used: 1,
        waiting: 0,
        fence: winner.lease.fence,
      });
      await winner.lease.release();
    }
  });

  it('a pool in use keeps its size; once unused, the next acquire sets it anew', async () => {
    const a = await client();
    const name = uniqueName('sem');
    const first = await a.semaphore(name, { permits: 3 }).acquire({ ttlMs: 30_000 });
    await expect(a.semaphore(name, { permits: 4 }).acquire({ ttlMs: 30_000 })).rejects.toThrow(
      InvalidArgumentError,
    );
    await expect(a.semaphore(name, { permits: 4 }).tryAcquire()).rejects.toThrow(/3 permits while in use/);
    expect(await keysOf('semaphore', name)).toBe(1);
    await first.release();
    const second = await a.semaphore(name, { permits: 4 }).acquire({ count: 4, ttlMs: 30_000 });
    expect(second.fence).toBeGreaterThan(first.fence);
    expect(await a.semaphore(name).inspect()).toMatchObject({ permits: 4, used: 4, fence: second.fence });
    await second.release();
  });

  it('semaphores and rwlocks of the same name are different pools', async () => {
    const a = await client();
    const name = uniqueName('both');
    const sem = await a.semaphore(name).acquire({ ttlMs: 30_000 });
    const write = await a.rwlock(name).write({ ttlMs: 30_000, waitMs: 0 });
    expect((await a.listRwLocks({ prefix: name })).map((i) => i.name)).toEqual([name]);
    expect((await a.listSemaphores({ prefix: name })).map((i) => i.name)).toEqual([name]);
    expect((await a.rwlock(name).inspect()).holders[0]?.mode).toBe('write');
    expect((await a.semaphore(name).inspect()).permits).toBe(1);
    await Promise.all([sem.release(), write.release()]);
  });
});

describe('etcd semaphores: nothing left behind', () => {
  it('tryAcquire, a timed-out wait and an aborted wait leave no key', { timeout: 60_000 }, async () => {
    const [a, b] = [await client(), await client()];
    const name = uniqueName('sem');
    const held = await a.semaphore(name, { permits: 2 }).acquire({ count: 2, ttlMs: 30_000 });
    expect(await b.semaphore(name, { permits: 2 }).tryAcquire()).toBeNull();
    expect(await keysOf('semaphore', name)).toBe(1);
    await expect(b.semaphore(name, { permits: 2 }).acquire({ waitMs: 300 })).rejects.toThrow(
      LockTimeoutError,
    );
    expect(await keysOf('semaphore', name)).toBe(1);
    const controller = new AbortController();
    const aborted = b.semaphore(name, { permits: 2 }).acquire({ signal: controller.signal });
    await until(async () => (await a.semaphore(name).inspect()).waiting === 1, SLACK_MS, 'waiter queued');
    const reason = new Error('stop waiting');
    controller.abort(reason);
    await expect(aborted).rejects.toBe(reason);
    expect(await keysOf('semaphore', name)).toBe(1);
    expect(await a.semaphore(name).inspect()).toMatchObject({ waiting: 0, used: 2 });
    await held.release();
    expect(await keysOf('semaphore', name)).toBe(0);
  });

  it('close() cancels waits with BackendUnavailableError and removes their keys', async () => {
    const a = await client();
    const b = await connect(url);
    const name = uniqueName('rw');
    const held = await a.rwlock(name).write({ ttlMs: 30_000 });
    const waiting = b.rwlock(name).read({ waitMs: 60_000 });
    await until(async () => (await a.rwlock(name).inspect()).waiting === 1, SLACK_MS, 'reader queued');
    await b.close();
    await expect(waiting).rejects.toMatchObject({ code: 'backend_unavailable' });
    expect(await keysOf('rwlock', name)).toBe(1);
    await held.release();
  });
});

describe('etcd semaphores: leases', () => {
  it('extend keeps the fence (same TTL and a new TTL); a released holder cannot extend', async () => {
    const a = await client();
    const name = uniqueName('sem');
    const lease: Lease = await a.semaphore(name, { permits: 2 }).acquire({ ttlMs: 5_000 });
    const fence = lease.fence;
    await lease.extend();
    await lease.extend(9_000);
    expect(lease.fence).toBe(fence);
    expect(lease.ttlMs).toBe(9_000);
    const [holder] = (await a.semaphore(name).inspect()).holders;
    expect(holder?.fence).toBe(fence);
    expect(holder!.expiresAt).toBeGreaterThan(Date.now() + 5_000);
    expect(await lease.release()).toBe(true);
    await expect(lease.extend()).rejects.toMatchObject({ code: 'lock_lost' });
  });

  it("inspect's fence never goes back when later holders release before earlier ones", async () => {
    const [a, b, c] = [await client(), await client(), await client()];
    const name = uniqueName('rw');
    const w = await a.rwlock(name).write({ ttlMs: 30_000 });
    const r1 = b.rwlock(name).read({ ttlMs: 30_000, waitMs: 60_000 });
    await until(async () => (await a.rwlock(name).inspect()).waiting === 1, SLACK_MS, 'reader queued');
    const r2 = c.rwlock(name).read({ ttlMs: 30_000, waitMs: 60_000 });
    await until(async () => (await a.rwlock(name).inspect()).waiting === 2, SLACK_MS, 'reader queued');
    await w.release();
    const [l1, l2] = await Promise.all([r1, r2]);
    expect(l2.fence).toBeGreaterThan(l1.fence);
    await l2.release();
    expect((await a.rwlock(name).inspect()).fence).toBe(l2.fence);
    await l1.release();
    expect((await a.rwlock(name).inspect()).fence).toBe(l2.fence);
    const next = await a.rwlock(name).write({ ttlMs: 30_000, waitMs: 0 });
    expect(next.fence).toBeGreaterThan(l2.fence);
    await next.release();
  });
});
