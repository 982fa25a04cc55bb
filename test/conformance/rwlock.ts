/**
 * Read-write locks: many readers or one writer; a waiting writer is not starved by readers that
 * arrive after it (where `capabilities.semaphores.fairOrdering` promises arrival order); a
 * writer's fence exceeds every earlier grant's; inspect's modes; rwlocks and semaphores of the
 * same name are separate; listing; fenced writes under rwlock/<name>.
 */
import { describe, expect, it } from 'vitest';
import { LockTimeoutError, StaleFenceError } from '../../src/index.js';
import { type Harness, rejection, SLACK_MS, sleep, uniqueName, useClients, within } from './harness.js';
import { poolTtl, QUEUE_MS, queued, requirePools } from './semaphore.js';

/** rwlockTests registers the read-write lock tests. */
export function rwlockTests(h: Harness): void {
  describe('rwlock', () => {
    const clients = useClients(h);

    it('many readers hold it at once; a writer waits for all of them; its fence is above theirs', async (ctx) => {
      const [a, b, c] = await clients.many(3);
      requirePools(h, a, ctx);
      const name = uniqueName('rw');
      const ttlMs = poolTtl(a, 60_000);
      const r1 = await a.rwlock(name, { ttlMs }).read();
      const r2 = await b.rwlock(name, { ttlMs }).read();
      expect(await c.rwlock(name).tryWrite()).toBeNull();
      expect(await c.rwlock(name).inspect()).toMatchObject({ name, mode: 'read', readers: 2 });

      let granted = false;
      const writing = c
        .rwlock(name, { ttlMs })
        .write()
        .then((l) => {
          granted = true;
          return l;
        });
      await queued(c.rwlock(name), 1);
      await r1.release();
      await sleep(QUEUE_MS);
      expect(granted).toBe(false); // r2 still reads
      await r2.release();
      const w = await within(writing, SLACK_MS, 'writer granted after the last reader');
      expect(w.fence).toBeGreaterThan(Math.max(r1.fence, r2.fence));
      const info = await a.rwlock(name).inspect();
      expect(info).toMatchObject({ mode: 'write', readers: 0, fence: w.fence });
      expect(info.holders).toEqual([expect.objectContaining({ mode: 'write', fence: w.fence })]);
      expect(JSON.stringify(info)).not.toContain(w.token);
      expect(await a.rwlock(name).tryRead()).toBeNull();
      expect(await b.rwlock(name).tryWrite()).toBeNull();
      await w.release();
      expect((await a.rwlock(name).inspect()).mode).toBe('free');
    });

    it('a waiting writer holds back readers that arrive after it (no writer starvation)', async (ctx) => {
      const [a, b, c] = await clients.many(3);
      requirePools(h, a, ctx);
      if (!a.capabilities.semaphores?.fairOrdering)
        ctx.skip(`${h.name}: capabilities.semaphores.fairOrdering is false (arrival order not promised)`);
      const name = uniqueName('rw');
      const ttlMs = poolTtl(a, 60_000);
      const r1 = await a.rwlock(name, { ttlMs }).read();
      const order: string[] = [];
      const writing = b
        .rwlock(name, { ttlMs })
        .write()
        .then((l) => {
          order.push('writer');
          return l;
        });
      await queued(c.rwlock(name), 1);
      // The lock is only read-held, yet a new reader must queue behind the waiting writer.
      expect(await c.rwlock(name).tryRead()).toBeNull();
      const err = await rejection(() => c.rwlock(name).read({ waitMs: 200 }));
      expect(err).toBeInstanceOf(LockTimeoutError);
      expect(err).toMatchObject({ lock: `rwlock/${name}` });
      const reading = c
        .rwlock(name, { ttlMs })
        .read()
        .then((l) => {
          order.push('reader');
          return l;
        });
      await queued(c.rwlock(name), 2);
      await r1.release();
      const w = await within(writing, SLACK_MS, 'writer granted');
      await sleep(QUEUE_MS);
      expect(order).toEqual(['writer']);
      await w.release();
      const r2 = await within(reading, SLACK_MS, 'reader after the writer');
      expect(order).toEqual(['writer', 'reader']);
      expect(r2.fence).toBeGreaterThan(w.fence);
      await r2.release();
    });

    it('writers exclude each other and take turns with increasing fences', async (ctx) => {
      const [a, b] = await clients.many(2);
      requirePools(h, a, ctx);
      const name = uniqueName('rw');
      const ttlMs = poolTtl(a, 60_000);
      const w1 = await a.rwlock(name, { ttlMs }).write();
      const waiting = b.rwlock(name, { ttlMs }).write();
      await queued(a.rwlock(name), 1);
      expect((await a.rwlock(name).inspect()).holders).toHaveLength(1);
      await w1.release();
      const w2 = await within(waiting, SLACK_MS, 'second writer');
      expect(w2.fence).toBeGreaterThan(w1.fence);
      await w2.release();
    });

    it('withRead and withWrite release after the function; a rwlock and a semaphore of one name are separate', async (ctx) => {
      const a = await clients.one();
      requirePools(h, a, ctx);
      const name = uniqueName('rw');
      const rw = a.rwlock(name, { ttlMs: poolTtl(a, 30_000) });
      const sem = a.semaphore(name, { permits: 1, ttlMs: poolTtl(a, 30_000) });
      const held = await sem.acquire(); // holding the semaphore does not touch the rwlock
      expect(await rw.withRead(async () => (await rw.inspect()).mode)).toBe('read');
      expect(await rw.withWrite(async () => (await rw.inspect()).mode)).toBe('write');
      expect((await rw.inspect()).mode).toBe('free');
      expect((await sem.inspect()).used).toBe(1);
      await held.release();
    });

    it('a writer lease fences dict writes under rwlock/<name>', async (ctx) => {
      const [a, b] = await clients.many(2);
      requirePools(h, a, ctx);
      const name = uniqueName('rw');
      const dict = a.dict(uniqueName('dict'));
      const ttlMs = poolTtl(a, 30_000);
      const old = await a.rwlock(name, { ttlMs }).write();
      expect(old.fenceScope).toBe(`rwlock/${name}`);
      await old.release();
      const w = await b.rwlock(name, { ttlMs }).write();
      await dict.set('k', 'new', { fence: w });
      await expect(dict.set('k', 'old', { fence: old })).rejects.toBeInstanceOf(StaleFenceError);
      expect(await dict.get('k')).toBe('new');
      await w.release();
    });

    it('listRwLocks lists held rwlocks with their mode, never tokens', async (ctx) => {
      const a = await clients.one();
      requirePools(h, a, ctx);
      if (!a.capabilities.semaphores?.listing)
        ctx.skip(`${h.name}: capabilities.semaphores.listing is false`);
      const prefix = `${uniqueName('list')}.`;
      const ttlMs = poolTtl(a, 30_000);
      const r = await a.rwlock(`${prefix}r`, { ttlMs }).read();
      const w = await a.rwlock(`${prefix}w`, { ttlMs }).write();
      const listed = await a.listRwLocks({ prefix });
      expect(listed.map((x) => [x.name, x.mode])).toEqual([
        [`${prefix}r`, 'read'],
        [`${prefix}w`, 'write'],
      ]);
      expect(JSON.stringify(listed)).not.toContain(r.token);
      expect(await a.listSemaphores({ prefix })).toEqual([]); // separate namespace
      await Promise.all([r.release(), w.release()]);
      expect(await a.listRwLocks({ prefix })).toEqual([]);
    });
  });
}
