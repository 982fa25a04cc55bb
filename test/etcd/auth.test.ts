/**
 * User and password from the URL: on a private etcd with authentication enabled, a client with
 * the right credentials works (locks and dicts), and wrong credentials are refused at connect
 * with InvalidArgumentError — not retried as if etcd were unreachable.
 */
import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, InvalidArgumentError } from '../../src/index.js';
import { type EtcdHandle, etcdHosts, startEtcd } from '../support/services.js';
import { randomPrefix } from './helpers.js';

describe('etcd backend with authentication', () => {
  let etcd: EtcdHandle;

  beforeAll(async () => {
    etcd = await startEtcd();
    const admin = new Etcd3({ hosts: etcdHosts(etcd.url) });
    try {
      await admin.user('root').create('s3cret:/@');
      await admin.user('root').addRole('root');
      await admin.auth.authEnable();
    } finally {
      admin.close();
    }
  });

  afterAll(async () => {
    await etcd?.stop();
  });

  it('works with the right user and password, and refuses wrong ones', async () => {
    const host = `127.0.0.1:${etcd.clientPort}`;
    const password = encodeURIComponent('s3cret:/@');
    const baton = await connect(`etcd://root:${password}@${host}/?prefix=${randomPrefix()}`);
    try {
      const lease = await baton.lock('job').acquire({ waitMs: 0 });
      await baton.dict<number>('d').set('k', 1, { fence: lease });
      expect(await baton.dict<number>('d').get('k')).toBe(1);
      await lease.release();
    } finally {
      await baton.close();
    }
    const err = await connect(`etcd://root:wrong@${host}/?timeoutMs=2000`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidArgumentError);
  }, 30_000);
});
