/**
 * The Redis backend on a 3-master Redis Cluster against the conformance suite. The provided URL
 * lists `host:port` pairs, which a WHATWG URL cannot hold, so the first node goes in the
 * authority and the others in `nodes=`. No ownership guard on a cluster (lock and dict keys live
 * in different slots), which the suite reads from the capabilities.
 */
import { randomBytes } from 'node:crypto';
import { describe, inject } from 'vitest';
import { connect } from '../../src/index.js';
import { runConformance } from '../conformance/index.js';
import { redisClusterNodes } from '../support/services.js';

const [first, ...others] = redisClusterNodes(inject('redisClusterUrl')).map((n) => `${n.host}:${n.port}`);
const prefix = `conformance-${randomBytes(6).toString('hex')}:`;
const url = `redis+cluster://${first}?nodes=${others.join(',')}&prefix=${prefix}`;

describe('redis backend (cluster)', () => {
  runConformance({
    name: 'redis-cluster',
    connect: () => connect(url),
    connectCompacting: () => connect(`${url}&history=5`),
  });
});
