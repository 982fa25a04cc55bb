/**
 * The etcd backend on a 3-member etcd cluster against the conformance suite, with a random key
 * prefix per run; the client is given all three members.
 */
import { describe, inject } from 'vitest';
import { connect } from '../../src/index.js';
import { runConformance } from '../conformance/index.js';
import { batonEtcdUrl, compactAt } from '../etcd/helpers.js';

const url = batonEtcdUrl(inject('etcdClusterUrl'));

describe('etcd backend (3-member cluster)', () => {
  runConformance({
    name: 'etcd-cluster',
    connect: () => connect(url),
    compact: compactAt(inject('etcdClusterUrl'), url),
  });
});
