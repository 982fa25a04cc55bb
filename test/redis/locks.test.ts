/**
 * Redis-specific lock behaviour: listing by SCAN (on one node and across a cluster's masters)
 * never shows tokens, the subscriber heartbeat does not disturb a long wait, and a waiter whose
 * holder crashed is granted at the holder's expiry without any release message.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { connect } from '../../src/index.js';
import { redisClusterNodes } from '../support/services.js';

const tag = randomBytes(4).toString('hex');
const targets = (): Array<[string, string]> => {
  const [first, ...others] = redisClusterNodes(inject('redisClusterUrl')).map((n) => `${n.host}:${n.port}`);
  return [
    ['single node', `${inject('redisUrl')}?prefix=locks-${tag}:`],
    ['cluster', `redis+cluster://${first}?nodes=${others.join(',')}&prefix=locks-${tag}:`],
  ];
};

describe.each(targets())('redis locks (%s)', (_, url) => {
  it('listLocks finds held locks by name prefix, in name order, without tokens', async () => {
    const baton = await connect(url);
    try {
      const names = Array.from({ length: 12 }, (_, i) => `job-${String(i).padStart(2, '0')}`);
      const leases = await Promise.all(
        names.map((n) => baton.lock(n, { ttlMs: 30_000, owner: 'me' }).acquire()),
      );
      await baton.lock('other', { ttlMs: 30_000 }).acquire();
      await leases[0]!.release();
      const listed = await baton.listLocks({ prefix: 'job-' });
      expect(listed.map((l) => l.name)).toEqual(names.slice(1));
      expect(listed[0]).toMatchObject({ held: true, owner: 'me', fence: leases[1]!.fence });
      expect(JSON.stringify(listed)).not.toContain(leases[1]!.token);
      expect(await baton.listLocks({ prefix: 'job-', limit: 3 })).toHaveLength(3);
    } finally {
      await baton.close();
    }
  });

  it('a waiter outlives many subscriber heartbeats (PING every timeoutMs) and is woken by the release', async () => {
    const quick = `${url}&timeoutMs=200`;
    const [a, b] = await Promise.all([connect(quick), connect(quick)]);
    try {
      const holder = await a.lock('patient', { ttlMs: 60_000 }).acquire();
      const waiter = b.lock('patient').acquire({ waitMs: 30_000 });
      await new Promise((resolve) => setTimeout(resolve, 1500));
      await holder.release();
      await (await waiter).release();
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('a waiter is granted at the expiry of a holder that never releases', async () => {
    const [a, b] = await Promise.all([connect(url), connect(url)]);
    try {
      await a.lock('crashed', { ttlMs: 300 }).acquire();
      const started = performance.now();
      const lease = await b.lock('crashed').acquire({ waitMs: 10_000 });
      const waited = performance.now() - started;
      expect(waited).toBeGreaterThan(200);
      expect(waited).toBeLessThan(3000);
      await lease.release();
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
