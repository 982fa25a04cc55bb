/**
 * The Redis backend on one redis-server against the conformance suite. A random key prefix per
 * run keeps concurrent runs apart; the compaction test uses a client whose dict streams keep only
 * 5 versions (exact MAXLEN below 1000).
 */
import { randomBytes } from 'node:crypto';
import { describe, inject } from 'vitest';
import { connect } from '../../src/index.js';
import { runConformance, runNearCacheConformance } from '../conformance/index.js';

const url = `${inject('redisUrl')}?prefix=conformance-${randomBytes(6).toString('hex')}:`;

const harness = {
  name: 'redis',
  connect: () => connect(url),
  connectCompacting: () => connect(`${url}&history=5`),
};

describe('redis backend (single node)', () => {
  runConformance(harness);
});

describe('redis backend (single node), dicts through a near cache', () => {
  runNearCacheConformance(harness);
});
