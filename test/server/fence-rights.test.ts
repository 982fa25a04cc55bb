/**
 * Fenced writes over REST need the `lock` right on the fence's lock (for `semaphore/<name>` and
 * `rwlock/<name>`, on `<name>`), besides `write` on the dict: a token that may only write the
 * dict gets 403 for any fenced write and changes nothing. A token with the right but a forged
 * fence gets 409 stale_fence `unissued_fence`, and the real holder keeps writing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTokenFile } from '../../src/server/index.js';
import { uniqueName } from '../conformance/harness.js';
import { expectProblem, type RestReply, rest } from './support/rest.js';
import { startTestServer, type TestServer } from './support/server.js';

const WRITER = 'writer-secret-0123456789'; // read and write on jobs*, no lock right
const LOCKER = 'locker-secret-0123456789'; // read, write and lock, but only on lock "nightly*"
const FILE = JSON.stringify({
  tokens: [
    { name: 'writer', token: WRITER, rights: ['read', 'write'], locks: ['*'], dicts: ['jobs*'] },
    {
      name: 'locker',
      token: LOCKER,
      rights: ['read', 'write', 'lock'],
      locks: ['nightly*'],
      dicts: ['jobs*'],
    },
  ],
});
const FORGED = String(Number.MAX_SAFE_INTEGER);

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer('memory://server-fence-rights', {
    auth: { mode: 'tokens', tokens: parseTokenFile(FILE) },
  });
});
afterAll(() => s.stop());

/** everyWrite sends each kind of fenced write to dict `d` as `token` with `fence` headers. */
async function everyWrite(d: string, token: string, fence: Record<string, string>): Promise<RestReply[]> {
  const headers = { authorization: `Bearer ${token}`, ...fence };
  const key = (k: string) => `/v1/dicts/${d}/keys/${k}`;
  return [
    await rest(s.url, 'PUT', key('a'), { json: 'forged', headers }),
    await rest(s.url, 'DELETE', key('a'), { headers }),
    await rest(s.url, 'POST', `${key('n')}/incr`, { json: { by: 1 }, headers }),
    await rest(s.url, 'POST', `${key('b')}/set-if-absent`, { json: { value: 'forged' }, headers }),
    await rest(s.url, 'POST', `${key('a')}/pop`, { headers }),
    await rest(s.url, 'POST', `/v1/dicts/${d}/batch`, {
      json: { ops: [{ op: 'set', key: 'c', value: 'forged' }] },
      headers,
    }),
  ];
}

describe('fenced writes need the lock right on the fence lock', () => {
  it('a token without the lock right gets 403 for every fenced write, and nothing changes', async () => {
    const d = `jobs-${uniqueName('d')}`;
    const lock = `nightly-${uniqueName('l')}`;
    const lease = await s.baton.lock(lock, { ttlMs: 30_000 }).acquire();
    const jobs = s.baton.dict<unknown>(d);
    await jobs.set('a', 'real', { fence: lease });
    const version = await jobs.version();
    for (const fence of [FORGED, String(lease.fence)]) {
      for (const r of await everyWrite(d, WRITER, { 'baton-fence-lock': lock, 'baton-fence': fence })) {
        expectProblem(r, 403, 'forbidden');
      }
    }
    expect(await jobs.version()).toBe(version);
    await jobs.set('a', 'still', { fence: lease });
    await lease.release();
  });

  it('a token whose lock patterns do not cover the fence lock gets 403, for semaphore/ and rwlock/ scopes too', async () => {
    const d = `jobs-${uniqueName('d')}`;
    await s.baton.dict(d).set('a', 'real');
    const version = await s.baton.dict(d).version();
    for (const lock of ['other', 'semaphore/other', 'rwlock/other']) {
      for (const r of await everyWrite(d, LOCKER, { 'baton-fence-lock': lock, 'baton-fence': '1' })) {
        expectProblem(r, 403, 'forbidden');
      }
    }
    expect(await s.baton.dict(d).version()).toBe(version);
  });

  it('with the lock right, a forged fence is 409 stale_fence unissued_fence and the holder keeps writing', async () => {
    const d = `jobs-${uniqueName('d')}`;
    const name = `nightly-${uniqueName('l')}`;
    const lease = await s.baton.rwlock(name, { ttlMs: 30_000 }).write();
    const jobs = s.baton.dict<unknown>(d);
    await jobs.set('a', 'real', { fence: lease });
    const version = await jobs.version();
    const fence = { 'baton-fence-lock': `rwlock/${name}`, 'baton-fence': FORGED };
    for (const r of await everyWrite(d, LOCKER, fence)) {
      expectProblem(r, 409, 'stale_fence');
      expect(r.json).toMatchObject({ reason: 'unissued_fence' });
    }
    expect(await jobs.version()).toBe(version);
    await jobs.clear();
    await jobs.set('a', 'after', { fence: lease });
    expect(await jobs.get('a')).toBe('after');
    await lease.release();
  });
});
