/**
 * The FIFO waiter queue of Redis locks (src/backends/redis/lock-queue.ts): a releasing holder
 * cannot take the lock back ahead of a waiter (the starvation benchmark B2 showed before the
 * queue), a waiter that gives up leaves no trace, and a waiter whose process is killed delays
 * the next one by about WAITER_TTL_MS, not for ever.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { LOCK_WAITER_REFRESH_MS, WAITER_TTL_MS } from '../../src/backends/redis/lock-queue.js';
import { type Baton, connect, LockTimeoutError } from '../../src/index.js';

const prefix = `queue-${randomBytes(4).toString('hex')}:`;
const url = () => `${inject('redisUrl')}?prefix=${prefix}`;

describe('redis lock queue', () => {
  let raw: Redis;
  beforeAll(async () => {
    raw = new Redis(inject('redisUrl'), { lazyConnect: true });
    await raw.connect();
  });
  afterAll(async () => {
    await raw.quit();
  });

  /** queueLength is how many waiters the lock's queue holds (0 when its key is gone). */
  const queueLength = (name: string) => raw.zcard(`${prefix}lock:{${name}}:queue`);

  it('a holder that releases and asks again at once is queued behind the waiter', async () => {
    const [a, b] = await Promise.all([connect(url()), connect(url())]);
    try {
      const first = await a.lock('turns').acquire();
      const waiting = b.lock('turns').acquire({ waitMs: 5000 });
      await until(async () => (await queueLength('turns')) === 1);
      const order: string[] = [];
      const bGot = waiting.then(async (lease) => {
        order.push('b');
        await sleep(20);
        await lease.release();
      });
      await first.release();
      const again = await a.lock('turns').acquire({ waitMs: 5000 });
      order.push('a');
      await bGot;
      expect(order).toEqual(['b', 'a']);
      expect(again.fence).toBeGreaterThan(first.fence); // b's grant came between (order above)
      await again.release();
      expect(await queueLength('turns')).toBe(0);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('a timed-out or an aborted waiter leaves the queue before its acquire settles', async () => {
    const [a, b, c] = await Promise.all([connect(url()), connect(url()), connect(url())]);
    try {
      const holder = await a.lock('leave').acquire();
      // b must still be queued when c joins: 200 ms could run out first on a busy CPU
      const timedOut = b
        .lock('leave')
        .acquire({ waitMs: 3_000 })
        .catch((e: unknown) => e);
      const ac = new AbortController();
      const aborted = c
        .lock('leave')
        .acquire({ signal: ac.signal })
        .catch((e: unknown) => e);
      await until(async () => (await queueLength('leave')) === 2);
      expect(await timedOut).toBeInstanceOf(LockTimeoutError);
      expect(await queueLength('leave')).toBe(1);
      ac.abort(new Error('gave up'));
      expect(await aborted).toMatchObject({ message: 'gave up' });
      expect(await queueLength('leave')).toBe(0);
      await holder.release();
      const next = await c.lock('leave').tryAcquire();
      expect(next).not.toBeNull();
      await next!.release();
    } finally {
      await Promise.all([a.close(), b.close(), c.close()]);
    }
  });

  it('a waiter killed while first in line delays the next by about WAITER_TTL_MS (tryAcquire is refused meanwhile)', async () => {
    const [a, b] = await Promise.all([connect(url()), connect(url())]);
    let child: ChildProcess | undefined;
    try {
      const holder = await a.lock('crash').acquire({ ttlMs: 60_000 });
      child = waiterProcess(url(), 'crash');
      await until(async () => (await queueLength('crash')) === 1, 60_000); // tsx compiles the client first
      const next = b.lock('crash').acquire({ waitMs: 20_000 });
      await until(async () => (await queueLength('crash')) === 2);
      child.kill('SIGKILL');
      await once(child, 'exit');
      const releasedAt = performance.now();
      await holder.release(); // wakes the dead waiter, which cannot answer
      // Free, but promised to the head of the line: a contender that does not queue is refused.
      expect(await a.lock('crash').tryAcquire()).toBeNull();
      const lease = await next;
      const waited = performance.now() - releasedAt;
      expect(waited).toBeLessThan(WAITER_TTL_MS + LOCK_WAITER_REFRESH_MS + 1000);
      expect(lease.fence).toBeGreaterThan(holder.fence);
      await lease.release();
      expect(await queueLength('crash')).toBe(0);
    } finally {
      child?.kill('SIGKILL');
      await Promise.all([a.close(), b.close()]);
    }
  }, 120_000);

  it('every waiter of a contended lock gets a turn (no client takes them all)', async () => {
    const clients: Baton[] = await Promise.all(Array.from({ length: 4 }, () => connect(url())));
    try {
      const turns = clients.map(() => 0);
      let sections = 0;
      await Promise.all(
        clients.map(async (client, i) => {
          while (sections < 40) {
            const lease = await client.lock('fair').acquire({ waitMs: 10_000 });
            if (sections < 40) {
              sections++;
              turns[i]!++;
              await sleep(2);
            }
            await lease.release();
          }
        }),
      );
      for (const t of turns) expect(t).toBeGreaterThanOrEqual(8);
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
  });
});

/** waiterProcess starts a process that waits for lock `name` on `url` (killed by the test). */
function waiterProcess(batonUrl: string, name: string): ChildProcess {
  const index = fileURLToPath(new URL('../../src/index.ts', import.meta.url));
  const code = `import { connect } from ${JSON.stringify(index)};
const baton = await connect(${JSON.stringify(batonUrl)});
await baton.lock(${JSON.stringify(name)}).acquire();`;
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
