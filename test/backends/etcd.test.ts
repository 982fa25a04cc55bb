/**
 * The etcd backend on one etcd member against the conformance suite, with a random key prefix
 * per run; the compaction test compacts etcd's history at the dict's version.
 */
import { describe, inject } from 'vitest';
import { connect } from '../../src/index.js';
import { runConformance } from '../conformance/index.js';
import { batonEtcdUrl, compactAt } from '../etcd/helpers.js';

const url = batonEtcdUrl(inject('etcdUrl'));

describe('etcd backend (single member)', () => {
  runConformance({ name: 'etcd', connect: () => connect(url), compact: compactAt(inject('etcdUrl'), url) });
});
