/** Helpers shared by the Redis-specific tests. */
import { Cluster, Redis } from 'ioredis';
import { inject } from 'vitest';
import type { Baton } from '../../src/index.js';
import { untilSucceeds } from '../support/retry.js';
import { redisClusterNodes } from '../support/services.js';

export { RECOVERY_MS, timed } from '../support/retry.js';

/** untilAnswers resolves once `baton.ping()` succeeds (the client reconnected), or rejects after RECOVERY_MS. */
export function untilAnswers(baton: Baton): Promise<void> {
  return untilSucceeds(() => baton.ping());
}

/** RedisTarget is one deployment a test runs against: a baton URL, its key prefix, a raw client. */
export interface RedisTarget {
  readonly url: string;
  readonly prefix: string;
  readonly raw: () => Redis | Cluster;
}

/**
 * redisTargets are the shared single node and the shared 3-master cluster, each with its own key
 * prefix `<label>-1:` / `<label>-2:`, as `describe.each` rows. Call it at collection time.
 */
export function redisTargets(label: string): Array<[string, RedisTarget]> {
  const nodes = redisClusterNodes(inject('redisClusterUrl'));
  const [first, ...others] = nodes.map((n) => `${n.host}:${n.port}`);
  const single = new URL(inject('redisUrl'));
  const p1 = `${label}-1:`;
  const p2 = `${label}-2:`;
  return [
    [
      'single node',
      {
        url: `${inject('redisUrl')}?prefix=${p1}`,
        prefix: p1,
        raw: () => new Redis({ host: single.hostname, port: Number(single.port) }),
      },
    ],
    [
      'cluster',
      {
        url: `redis+cluster://${first}?nodes=${others.join(',')}&prefix=${p2}`,
        prefix: p2,
        raw: () => new Cluster(nodes.map((n) => ({ host: n.host, port: n.port }))),
      },
    ],
  ];
}
