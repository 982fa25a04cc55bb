/**
 * etcd's check that a fence was issued, beyond the conformance suite: it must use the lock's
 * last-granted record exactly, not the revision counter.
 *
 * - After a contended grant (the record holds the padded fence V, and its own mod revision is
 *   later than V), a fence just above V — below the record's mod revision, and far below the
 *   store's current revision — is refused as unissued, and the holder keeps writing.
 * - After an uncontended grant (the record is '': the fence is its own mod revision), the holder
 *   writes and the next fence, not yet issued, is refused.
 */
import { Etcd3 } from 'etcd3';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { type Baton, connect, StaleFenceError } from '../../src/index.js';
import { rejection, uniqueName } from '../conformance/harness.js';
import { etcdHosts } from '../support/services.js';
import { batonEtcdUrl, randomPrefix } from './helpers.js';

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

describe('etcd: a fence must have been issued by a grant of its lock', () => {
  it('after a contended grant, a fence between the granted one and the record’s revision is refused', async () => {
    const [a, b] = [await client(), await client()];
    const name = uniqueName('lock');
    const first = await a.lock(name, { ttlMs: 30_000 }).acquire();
    const waiting = b.lock(name, { ttlMs: 30_000 }).acquire({ waitMs: 30_000 });
    // The waiter's key exists once inspect sees a queue; then hand the lock over.
    for (;;) {
      const contenders = await etcd.getAll().prefix(`${prefix}/locks/${name}/`).keys();
      if (contenders.length === 2) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    await first.release();
    const second = await waiting;
    const record = await etcd.get(`${prefix}/fences/${name}`).exec();
    const kv = record.kvs[0]!;
    expect(kv.value.toString()).toBe(String(second.fence).padStart(16, '0'));
    expect(Number(kv.mod_revision)).toBeGreaterThan(second.fence + 1);
    const d = b.dict<string>(uniqueName('dict'));
    await d.set('k', 'real', { fence: second });
    const err = await rejection(() =>
      d.set('k', 'forged', { fence: { lock: name, fence: second.fence + 1 } }),
    );
    expect(err).toBeInstanceOf(StaleFenceError);
    expect(err).toMatchObject({ detail: 'unissued_fence' });
    await d.set('k', 'still', { fence: second });
    expect(await d.get('k')).toBe('still');
    await second.release();
  });

  it("after an uncontended grant (record '' = its mod revision), the holder writes and a fence above is refused", async () => {
    const a = await client();
    const name = uniqueName('lock');
    const lease = await a.lock(name, { ttlMs: 30_000 }).acquire();
    const kv = (await etcd.get(`${prefix}/fences/${name}`).exec()).kvs[0]!;
    expect(kv.value.toString()).toBe('');
    expect(Number(kv.mod_revision)).toBe(lease.fence);
    const d = a.dict<string>(uniqueName('dict'));
    await d.set('k', 'real', { fence: lease });
    await d.batch([{ op: 'set', key: 'j', value: 'real' }], { fence: lease });
    const err = await rejection(() =>
      d.set('k', 'forged', { fence: { lock: name, fence: lease.fence + 1 } }),
    );
    expect(err).toMatchObject({ detail: 'unissued_fence' });
    expect(await d.get('k')).toBe('real');
    await lease.release();
  });
});
