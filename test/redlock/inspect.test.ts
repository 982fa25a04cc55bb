/**
 * What Redlock shows of a lock: held only when a quorum of masters agree on one holder (planted
 * foreign holders on a minority change nothing; a three-way split is "not held"), the fence and
 * owner of that holder, never a token; and listLocks, which scans every master.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Baton, connect } from '../../src/index.js';
import { type RedisHandle, redisCommand } from '../support/services.js';
import { closeAll, randomPrefix, redlockUrl, startMasters, stopMasters } from './helpers.js';

describe('redlock: inspect and listLocks', () => {
  let masters: RedisHandle[] = [];
  let prefix = '';
  let baton: Baton;
  beforeAll(async () => {
    masters = await startMasters(5);
    prefix = randomPrefix();
    baton = await connect(redlockUrl(masters, { prefix }));
  });
  afterAll(async () => {
    await closeAll([baton]);
    await stopMasters(masters);
  });

  /** plant writes a holder of lock `name` straight into master `i`, as another client would have. */
  const plant = async (i: number, name: string, token: string, fence: number) => {
    const key = `${prefix}lock:{${name}}`;
    await redisCommand(masters[i]!.port, [
      'HSET',
      key,
      't',
      token,
      'f',
      String(fence),
      'o',
      `owner-${token}`,
    ]);
    await redisCommand(masters[i]!.port, ['PEXPIRE', key, '60000']);
    await redisCommand(masters[i]!.port, ['SET', `${key}:fence`, String(fence)]);
  };

  it('a quorum holder is shown with its fence and owner, whatever a minority says', async () => {
    const lease = await baton.lock('q', { ttlMs: 60_000, owner: 'me' }).acquire();
    await redisCommand(masters[0]!.port, ['DEL', `${prefix}lock:{q}`]);
    await plant(0, 'q', 'intruder', 1000);
    const info = await baton.lock('q').inspect();
    expect(info).toMatchObject({ name: 'q', held: true, fence: lease.fence, owner: 'me' });
    expect(info.expiresAt).toBeGreaterThan(Date.now() + 30_000);
    expect(JSON.stringify(info)).not.toContain(lease.token);
    expect(JSON.stringify(info)).not.toContain('intruder"');
    expect(await baton.lock('q').tryAcquire()).toBeNull();
    expect(await lease.release()).toBe(true);
    // The planted minority holder remains, but holds no quorum: free, fence = the highest counter.
    expect(await baton.lock('q').inspect()).toMatchObject({ held: false, fence: 1000 });
  });

  it('a split (2 + 2 + 1) is not held, and no contender can take it', async () => {
    await plant(0, 'split', 'x', 3);
    await plant(1, 'split', 'x', 3);
    await plant(2, 'split', 'y', 4);
    await plant(3, 'split', 'y', 4);
    await plant(4, 'split', 'z', 5);
    expect(await baton.lock('split').inspect()).toMatchObject({ held: false, fence: 5 });
    expect(await baton.lock('split').tryAcquire()).toBeNull();
  });

  it('listLocks finds the locks held by a quorum, by prefix, without tokens', async () => {
    const one = await baton.lock('ls.one', { ttlMs: 60_000 }).acquire();
    const two = await baton.lock('ls.two', { ttlMs: 60_000 }).acquire();
    await plant(0, 'ls.minority', 'm', 1);
    const listed = await baton.listLocks({ prefix: 'ls.' });
    expect(listed.map((l) => [l.name, l.fence])).toEqual([
      ['ls.one', one.fence],
      ['ls.two', two.fence],
    ]);
    expect(JSON.stringify(listed)).not.toContain(one.token);
    expect(await baton.listLocks({ prefix: 'ls.', limit: 1 })).toHaveLength(1);
    await Promise.all([one.release(), two.release()]);
    expect(await baton.listLocks({ prefix: 'ls.' })).toEqual([]);
  });
});
