/**
 * The etcd backend on one etcd member against the conformance suite, with a random key prefix
 * per run; the compaction test compacts etcd's history at the dict's version. The member is this
 * file's own: files run in parallel forks (vitest.config.ts), and a compaction of the shared
 * member could end another file's watch that resumes from an older version.
 */
import { afterAll, describe } from 'vitest';
import { connect } from '../../src/index.js';
import { runConformance } from '../conformance/index.js';
import { batonEtcdUrl, compactAt } from '../etcd/helpers.js';
import { startEtcd } from '../support/services.js';

const etcd = await startEtcd();
afterAll(() => etcd.stop());
const url = batonEtcdUrl(etcd.url);

describe('etcd backend (single member)', () => {
  runConformance({ name: 'etcd', connect: () => connect(url), compact: compactAt(etcd.url, url) });
});
