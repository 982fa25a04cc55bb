/**
 * The memory backend when many entries of one dict expire together: their expiries are grouped
 * into versions of at most EXPIRE_GROUP changes, so a watcher that keeps up sees every one of
 * them and is not compacted (one version per expiry used to push 5 000 versions through a
 * 1 000-version history in one synchronous pass, before any watcher could read).
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { EXPIRE_GROUP } from '../../src/backends/memory/dicts.js';
import { connect } from '../../src/index.js';

describe('memory dict mass expiry', () => {
  it('5 000 entries expiring together: a keeping-up watcher sees every expiry, in grouped versions', async () => {
    const N = 5_000;
    const baton = await connect(`memory://expiry-${randomBytes(4).toString('hex')}?history=1000`);
    try {
      const d = baton.dict<number>('mass');
      const deadline = Date.now() + 2_000;
      for (let b = 0; b < N / 100; b++) {
        const ttlMs = deadline - Date.now();
        await d.batch(
          Array.from({ length: 100 }, (_, i) => ({
            op: 'set' as const,
            key: `k${b * 100 + i}`,
            value: i,
            ttlMs,
          })),
        );
      }
      expect(Date.now(), 'all entries written before they expire').toBeLessThan(deadline - 200);
      const from = await d.version();
      const perVersion = new Map<number, number>();
      let seen = 0;
      for await (const c of d.watch({ fromVersion: from })) {
        expect(c.type).toBe('expire');
        perVersion.set(c.version, (perVersion.get(c.version) ?? 0) + 1);
        if (++seen === N) break;
      }
      expect(Math.max(...perVersion.values())).toBeLessThanOrEqual(EXPIRE_GROUP);
      expect(await d.size()).toBe(0);
    } finally {
      await baton.close();
    }
  }, 60_000);
});
