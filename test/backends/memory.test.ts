/**
 * The memory backend against the conformance suite. Each run uses its own named store, so the
 * process-wide default store stays untouched; the compaction test uses a second store that keeps
 * only 5 versions of watch history per dict.
 */
import { describe } from 'vitest';
import { connect } from '../../src/index.js';
import { runConformance, runNearCacheConformance } from '../conformance/index.js';

const harness = {
  name: 'memory',
  connect: () => connect('memory://conformance'),
  connectCompacting: () => connect('memory://conformance-compacting?history=5'),
};

describe('memory backend', () => {
  runConformance(harness);
});

describe('memory backend, dicts through a near cache', () => {
  runNearCacheConformance(harness);
});
