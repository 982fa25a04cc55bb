/**
 * Redis-specific behaviour of semaphores and rwlocks (src/backends/redis/semaphores.ts), on one
 * node and on a 3-master cluster: every key of a pool is in one slot and expires with the pool
 * (only the fence counter stays, without TTL); a waiter killed at the head of the queue delays
 * the next by about WAITER_TTL_MS and is granted nothing; one paused (SIGSTOP) that long rejoins
 * at the back; a killed holder's permits come back at its TTL; a waiter keeps its place across
 * many renewals; a burst of readers behind a writer is granted after it; under contention no more
 * than the permits are held and queued waiters go in arrival order; the listing index forgets
 * expired pools; a release wakes a waiter in about a round trip, not a polling interval; and it
 * wakes only the queue's head, by a message that names it without its token.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Cluster, type Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { escapeTag } from '../../src/backends/redis/keys.js';
import { WAITER_TTL_MS } from '../../src/backends/redis/lock-queue.js';
import { PoolKeyLayout } from '../../src/backends/redis/pool-keys.js';
import { POOL_WAITER_REFRESH_MS, wakeMessageOf } from '../../src/backends/redis/semaphores.js';
import { type Baton, connect } from '../../src/index.js';
import { redisClusterNodes } from '../support/services.js';
import { median } from '../support/wake-latency.js';
import { redisTargets } from './helpers.js';

const tag = randomBytes(4).toString('hex');

/**
 * CHILD_START_MS bounds how long a `poolProcess` takes to start (tsx compiles the client first) and
 * reach the store: on a busy 2-core machine that took more than 15 s.
 */
const CHILD_START_MS = 60_000;

/** hashTag is the part of a key Redis Cluster hashes: the text between the first { and the next }. */
function hashTag(key: string): string {
  const open = key.indexOf('{');
  const close = key.indexOf('}', open + 1);
  return open >= 0 && close > open + 1 ? key.slice(open + 1, close) : key;
}

describe('redis pool key layout', () => {
  it('puts every key of a pool under one hash tag, per namespace, and the index under none', () => {
    for (const name of ['plain', 'a.b:c-d_e', 'x'.repeat(200)]) {
      const sem = new PoolKeyLayout('p:', 'semaphore').pool(name);
      const rw = new PoolKeyLayout('p:', 'rwlock').pool(name);
      expect(new Set([...sem.all, sem.channel].map(hashTag))).toEqual(new Set([escapeTag(name)]));
      expect(new Set(sem.all).size).toBe(7);
      for (const key of rw.all) expect(sem.all).not.toContain(key);
    }
    expect(new PoolKeyLayout('p:', 'rwlock').index).toBe('p:rwlock:index');
    expect(() => new PoolKeyLayout('p{', 'semaphore')).toThrow();
  });
});

describe.each(redisTargets(`sem-${tag}`))('redis semaphores (%s)', (_, target) => {
  let raw: Redis | Cluster;
  let slots: Cluster;
  beforeAll(() => {
    raw = target.raw();
    slots = new Cluster(redisClusterNodes(inject('redisClusterUrl')));
  });
  afterAll(() => {
    raw.disconnect();
    slots.disconnect();
  });

  /** keysOf lists the keys under the test prefix whose hash tag is `name` (SCAN on every master). */
  const keysOf = async (name: string): Promise<string[]> => {
    const masters = raw instanceof Cluster ? raw.nodes('master') : [raw];
    const out: string[] = [];
    for (const node of masters) {
      let cursor = '0';
      do {
        const [next, found] = await node.scan(cursor, 'MATCH', `${target.prefix}semaphore:{${name}}*`);
        cursor = next;
        out.push(...found);
      } while (cursor !== '0');
    }
    return out.sort();
  };

  it('keeps every key of a pool in one slot; they expire with the pool, whose fence counter stays without TTL', async () => {
    const [a, b] = await Promise.all([connect(target.url), connect(target.url)]);
    try {
      const name = `layout-${tag}`;
      const holder = await a.semaphore(name, { permits: 1, ttlMs: 60_000 }).acquire({ owner: 'o' });
      const waiting = b.semaphore(name, { permits: 1, ttlMs: 60_000 }).acquire({ waitMs: 30_000 });
      await until(async () => (await a.semaphore(name, { permits: 1 }).inspect()).waiting === 1);

      const keys = await keysOf(name);
      const suffixes = keys.map((k) => k.slice(k.lastIndexOf(':') + 1)).sort();
      expect(suffixes).toEqual(['deadlines', 'expiry', 'fence', 'holders', 'meta', 'queue', 'waiters']);
      const keySlots = await Promise.all(keys.map((k) => slots.cluster('KEYSLOT', k)));
      expect(new Set(keySlots).size).toBe(1);
      for (const key of keys) {
        const pttl = await raw.pttl(key);
        if (key.endsWith(':fence')) expect(pttl).toBe(-1);
        else expect(pttl).toBeGreaterThan(50_000);
      }
      expect(JSON.stringify(await a.semaphore(name, { permits: 1 }).inspect())).not.toContain(holder.token);

      await holder.release();
      const next = await waiting;
      await next.release();
      expect(await keysOf(name)).toEqual([`${target.prefix}semaphore:{${name}}:fence`]);
      expect(await raw.get(`${target.prefix}semaphore:{${name}}:fence`)).toBe(String(next.fence));
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('a waiter killed at the head of the queue delays the next by about WAITER_TTL_MS and is granted nothing', async () => {
    const [a, b] = await Promise.all([connect(target.url), connect(target.url)]);
    const name = `crashed-waiter-${tag}`;
    let child: ChildProcess | undefined;
    try {
      const waiting = async () => (await a.semaphore(name, { permits: 2 }).inspect()).waiting;
      const holder = await a.semaphore(name, { permits: 2, ttlMs: 60_000 }).acquire({ count: 2 });
      child = poolProcess(target.url, name, 'wait');
      await until(async () => (await waiting()) === 1, CHILD_START_MS);
      const next = b.semaphore(name, { permits: 2, ttlMs: 60_000 }).acquire({ waitMs: 30_000 });
      await until(async () => (await waiting()) === 2);
      child.kill('SIGKILL');
      await once(child, 'exit');
      const killedAt = performance.now();
      await holder.release(); // the dead head is woken but cannot answer
      // Free permits, but the queue is not empty: a newcomer that does not queue is refused.
      expect(await a.semaphore(name, { permits: 2 }).tryAcquire()).toBeNull();
      const lease = await next;
      const waited = performance.now() - killedAt;
      console.log(`redis (${_}) waiter behind a killed head granted ${waited.toFixed(0)} ms after the kill`);
      expect(waited).toBeLessThan(WAITER_TTL_MS + POOL_WAITER_REFRESH_MS + 2000);
      const info = await a.semaphore(name, { permits: 2 }).inspect();
      expect(info.holders.map((h) => h.fence)).toEqual([lease.fence]);
      expect(info).toMatchObject({ used: 1, waiting: 0, fence: lease.fence });
      // No grant went to the dead waiter: the one holder is `lease` (fences are not consecutive:
      // they also grow with the server clock, fence_lib.lua).
      expect(lease.fence).toBeGreaterThan(holder.fence);
      await lease.release();
    } finally {
      child?.kill('SIGKILL');
      await Promise.all([a.close(), b.close()]);
    }
  }, 120_000);

  it('a waiter paused (SIGSTOP) past WAITER_TTL_MS loses its place, and rejoins at the back when it resumes', async () => {
    const [a, b] = await Promise.all([connect(target.url), connect(target.url)]);
    const name = `paused-waiter-${tag}`;
    let child: ChildProcess | undefined;
    try {
      const inspect = () => a.semaphore(name, { permits: 2 }).inspect();
      const holder = await a.semaphore(name, { permits: 2, ttlMs: 60_000 }).acquire({ count: 2 });
      child = poolProcess(target.url, name, 'wait');
      await until(async () => (await inspect()).waiting === 1, CHILD_START_MS);
      const behind = b.semaphore(name, { permits: 2, ttlMs: 60_000 }).acquire({ count: 2, waitMs: 30_000 });
      await until(async () => (await inspect()).waiting === 2);
      child.kill('SIGSTOP');
      await sleep(WAITER_TTL_MS + POOL_WAITER_REFRESH_MS);
      await holder.release();
      const lease = await behind; // the paused head's place lapsed: the one behind it goes first
      expect((await inspect()).holders.map((h) => h.owner)).not.toContain('child');
      child.kill('SIGCONT');
      await until(async () => (await inspect()).waiting === 1, 10_000); // back in line, at the end
      await lease.release();
      await until(async () => (await inspect()).holders[0]?.owner === 'child', 10_000);
      expect((await inspect()).fence).toBeGreaterThan(lease.fence);
    } finally {
      child?.kill('SIGKILL');
      await Promise.all([a.close(), b.close()]);
    }
  }, 120_000);

  it("a killed holder's permits come back at its TTL", async () => {
    const a = await connect(target.url);
    const name = `crashed-holder-${tag}`;
    let child: ChildProcess | undefined;
    try {
      // a TTL the polls below cannot miss on a busy CPU (at 1.5 s the hold could lapse unseen)
      child = poolProcess(target.url, name, 'hold', 10_000);
      await until(async () => (await a.semaphore(name, { permits: 2 }).inspect()).used === 2, CHILD_START_MS);
      const held = (await a.semaphore(name, { permits: 2 }).inspect()).holders[0]!;
      child.kill('SIGKILL');
      await once(child, 'exit');
      const lease = await a.semaphore(name, { permits: 2, ttlMs: 30_000 }).acquire({ waitMs: 30_000 });
      // Granted by the store's clock no earlier than the dead holder's expiry.
      const info = await a.semaphore(name, { permits: 2 }).inspect();
      expect(info.holders).toHaveLength(1);
      expect(info.holders[0]!.expiresAt - 30_000).toBeGreaterThanOrEqual(held.expiresAt - 5);
      expect(lease.fence).toBeGreaterThan(held.fence);
      await lease.release();
    } finally {
      child?.kill('SIGKILL');
      await a.close();
    }
  }, 120_000);

  it('a waiter keeps its place in line across renewals, longer than WAITER_TTL_MS', async () => {
    const [a, b, c] = await Promise.all([connect(target.url), connect(target.url), connect(target.url)]);
    try {
      const name = `patient-${tag}`;
      const holder = await a.semaphore(name, { permits: 1, ttlMs: 60_000 }).acquire();
      const order: string[] = [];
      const first = b
        .semaphore(name, { permits: 1, ttlMs: 60_000 })
        .acquire({ waitMs: 60_000 })
        .then((l) => {
          order.push('first');
          return l;
        });
      await until(async () => (await a.semaphore(name, { permits: 1 }).inspect()).waiting === 1);
      await sleep(WAITER_TTL_MS + 1500);
      const second = c
        .semaphore(name, { permits: 1, ttlMs: 60_000 })
        .acquire({ waitMs: 60_000 })
        .then((l) => {
          order.push('second');
          return l;
        });
      await until(async () => (await a.semaphore(name, { permits: 1 }).inspect()).waiting === 2);
      await holder.release();
      const l1 = await first;
      await sleep(100);
      expect(order).toEqual(['first']);
      await l1.release();
      const l2 = await second;
      expect(order).toEqual(['first', 'second']);
      expect(l2.fence).toBeGreaterThan(l1.fence);
      await l2.release();
    } finally {
      await Promise.all([a.close(), b.close(), c.close()]);
    }
  }, 60_000);

  it('a burst of readers queued behind a writer is granted together once it releases', async () => {
    const clients: Baton[] = await Promise.all(Array.from({ length: 3 }, () => connect(target.url)));
    try {
      const name = `burst-${tag}`;
      const writer = await clients[0]!.rwlock(name, { ttlMs: 60_000 }).write();
      const warnings: string[] = [];
      const onWarning = (w: Error) => warnings.push(w.name);
      process.on('warning', onWarning);
      // Eleven waiting on one client: more abort listeners than Node's default limit of 10.
      const readers = Array.from({ length: 12 }, (_, i) =>
        clients[i < 11 ? 1 : 2]!.rwlock(name, { ttlMs: 60_000 }).read({ waitMs: 20_000 }),
      );
      await until(async () => (await clients[0]!.rwlock(name).inspect()).waiting === 12);
      await sleep(300); // let every reader subscribe and go to sleep, so the release must wake them
      await writer.release();
      const leases = await Promise.all(readers);
      const info = await clients[0]!.rwlock(name).inspect();
      expect(info).toMatchObject({ mode: 'read', readers: 12, waiting: 0 });
      const fences = leases.map((l) => l.fence).sort((x, y) => x - y);
      expect(fences[0]).toBeGreaterThan(writer.fence);
      expect(new Set(fences).size).toBe(12);
      await Promise.all(leases.map((l) => l.release()));
      expect((await clients[0]!.rwlock(name).inspect()).mode).toBe('free');
      await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on a later tick
      process.off('warning', onWarning);
      expect(warnings).toEqual([]);
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
  }, 60_000);

  it('wakes only the head of the queue, named by the SHA-1 of its token, never by the token', async () => {
    const clients: Baton[] = await Promise.all(Array.from({ length: 2 }, () => connect(target.url)));
    const sub = target.raw();
    try {
      const name = `targeted-${tag}`;
      const messages: string[] = [];
      sub.on('message', (_channel: string, message: string) => messages.push(message));
      await sub.subscribe(new PoolKeyLayout(target.prefix, 'rwlock').pool(name).channel);
      const writer = await clients[0]!.rwlock(name, { ttlMs: 60_000 }).write();
      const readers = Array.from({ length: 5 }, () =>
        clients[1]!.rwlock(name, { ttlMs: 60_000 }).read({ waitMs: 20_000 }),
      );
      await until(async () => (await clients[0]!.rwlock(name).inspect()).waiting === 5);
      await writer.release();
      const leases = await Promise.all(readers);
      // Each grant that leaves room for the next head publishes one message naming that head.
      await until(async () => messages.length >= 5);
      expect(new Set(messages)).toEqual(new Set(leases.map((l) => wakeMessageOf(l.token))));
      for (const m of messages) expect(m).toMatch(/^w:[0-9a-f]{40}$/);
      for (const l of [writer, ...leases]) expect(messages.join('\n')).not.toContain(l.token);
      await Promise.all(leases.map((l) => l.release()));
    } finally {
      sub.disconnect();
      await Promise.all(clients.map((c) => c.close()));
    }
  }, 60_000);

  it('never holds more than its permits under contention, and grants in arrival order', async () => {
    const clients: Baton[] = await Promise.all(Array.from({ length: 4 }, () => connect(target.url)));
    try {
      const name = `contended-${tag}`;
      const sem = (c: Baton) => c.semaphore(name, { permits: 4, ttlMs: 30_000 });
      let held = 0;
      let most = 0;
      const fences: number[] = [];
      await Promise.all(
        clients.map(async (client, i) => {
          for (let round = 0; round < 20; round++) {
            const count = 1 + ((i + round) % 3);
            const lease = await sem(client).acquire({ count, waitMs: 30_000 });
            held += count;
            most = Math.max(most, held);
            fences.push(lease.fence);
            await sleep(1 + (round % 3));
            held -= count;
            await lease.release();
          }
        }),
      );
      expect(most).toBeLessThanOrEqual(4);
      expect(new Set(fences).size).toBe(80);

      // Six waiters queued one after another (mixed counts) are granted in that order.
      const blocker = await sem(clients[0]!).acquire({ count: 4 });
      const order: number[] = [];
      const waiters: Array<Promise<{ release(): Promise<boolean> }>> = [];
      for (let i = 0; i < 6; i++) {
        waiters.push(
          sem(clients[i % 4]!)
            .acquire({ count: 1 + (i % 2) * 3, waitMs: 30_000 })
            .then(async (lease) => {
              order.push(i);
              await sleep(5);
              await lease.release();
              return lease;
            }),
        );
        await until(async () => (await sem(clients[0]!).inspect()).waiting === i + 1);
      }
      await blocker.release();
      await Promise.all(waiters);
      expect(order).toEqual([0, 1, 2, 3, 4, 5]);
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
  }, 60_000);

  it('the listing index forgets a pool once its holders expire, and never outlives its entries', async () => {
    const a = await connect(target.url);
    try {
      const prefix = `idx-${tag}.`;
      // The listing must run while the short lease lives: when a busy CPU delayed it past the TTL
      // (seen under stress-ng: listed []), try again with twice the TTL; a listing within it must show it.
      let ttlMs = 300;
      for (; ; ttlMs *= 2) {
        const started = performance.now();
        await a.semaphore(`${prefix}short`, { permits: 1, ttlMs }).acquire();
        const listed = (await a.listSemaphores({ prefix })).map((s) => s.name);
        const indexed = await raw.zrange(`${target.prefix}semaphore:index`, 0, -1);
        if (performance.now() - started >= ttlMs && ttlMs < 10_000) continue;
        expect(listed).toEqual([`${prefix}short`]);
        expect(indexed).toContain(`${prefix}short`);
        break;
      }
      await sleep(2 * ttlMs);
      expect(await a.listSemaphores({ prefix })).toEqual([]);
      expect(await raw.zrange(`${target.prefix}semaphore:index`, 0, -1)).not.toContain(`${prefix}short`);
      const pttl = await raw.pttl(`${target.prefix}semaphore:index`);
      expect(pttl === -2 || pttl > 0).toBe(true); // gone, or expiring with its latest entry
    } finally {
      await a.close();
    }
  });

  it('a release wakes a waiter in about a round trip (median under 200 ms)', async () => {
    const [a, b] = await Promise.all([connect(target.url), connect(target.url)]);
    try {
      const name = `wake-${tag}`;
      const latencies: number[] = [];
      for (let i = 0; i < 20; i++) {
        const holder = await a.semaphore(name, { permits: 1, ttlMs: 60_000 }).acquire();
        let grantedAt = 0;
        const waiter = b
          .semaphore(name, { permits: 1, ttlMs: 60_000 })
          .acquire({ waitMs: 30_000 })
          .then((l) => {
            grantedAt = performance.now();
            return l;
          });
        await sleep(50);
        const releasedAt = performance.now();
        await holder.release();
        const lease = await waiter;
        latencies.push(grantedAt - releasedAt);
        expect(lease.fence).toBeGreaterThan(holder.fence);
        await lease.release();
      }
      const m = median(latencies);
      console.log(
        `redis (${_}) semaphore wake latency over 20 rounds: median ${m.toFixed(2)} ms, max ${Math.max(...latencies).toFixed(2)} ms`,
      );
      expect(m).toBeLessThan(200);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  }, 60_000);
});

/**
 * poolProcess starts a process on `url` that either queues for semaphore `name` (2 permits, all
 * of them taken by the test) or holds both its permits with `ttlMs` and never releases; the test
 * kills it.
 */
function poolProcess(batonUrl: string, name: string, mode: 'wait' | 'hold', ttlMs = 60_000): ChildProcess {
  const index = fileURLToPath(new URL('../../src/index.ts', import.meta.url));
  const code = `import { connect } from ${JSON.stringify(index)};
const baton = await connect(${JSON.stringify(batonUrl)});
const sem = baton.semaphore(${JSON.stringify(name)}, { permits: 2, ttlMs: ${ttlMs}, owner: 'child' });
${mode === 'wait' ? 'await sem.acquire({ waitMs: 60_000 });' : 'await sem.acquire({ count: 2 });'}
await new Promise(() => {});`;
  return spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    stdio: 'ignore',
  });
}

/** until polls `check` every 10 ms until it is true, or throws after `ms`. */
async function until(check: () => Promise<boolean>, ms = 5000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`condition not met within ${ms} ms`);
    await sleep(10);
  }
}
