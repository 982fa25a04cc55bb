/**
 * The Redis backend through Sentinel (`redis+sentinel://sentinel/mymaster`) against the
 * conformance suite: one redis-server as master, one sentinel monitoring it (started here; the
 * shared test setup has no sentinel; down-after 60 s, so a busy machine never fails it over). The
 * client asks the sentinel for the master, then behaves exactly as on a single node, ownership
 * guard included. Failover is test/redis/failover.test.ts.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe } from 'vitest';
import { connect } from '../../src/index.js';
import { runConformance } from '../conformance/index.js';
import { type SentinelHandle, startSentinelDeployment } from '../support/redis-sentinel.js';

describe('redis backend (sentinel)', () => {
  let deployment: SentinelHandle | undefined;
  let url = '';

  beforeAll(async () => {
    deployment = await startSentinelDeployment({ replicas: 0, sentinels: 1, downAfterMs: 60_000 });
    url = `${deployment.url}&prefix=conformance-${randomBytes(6).toString('hex')}:`;
  });
  afterAll(async () => {
    await deployment?.stop();
  });

  runConformance({
    name: 'redis-sentinel',
    connect: () => connect(url),
    connectCompacting: () => connect(`${url}&history=5`),
  });
});
