/**
 * An extension whose answer never arrives may still be applied: Redis frozen (SIGSTOP) past the
 * client's timeout, `extend(short)` rejects with BackendUnavailableError, and when Redis resumes
 * it runs the script it had already received, shortening the lease in the store. The lease must
 * not go on believing its old, longer deadline: its expiresAt stays at or before the store's,
 * and another client is granted the lock only after the lease says it is lost.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackendUnavailableError, connect } from '../../src/index.js';
import { type RedisHandle, startRedis } from '../support/services.js';

/** TIMEOUT_MS is the clients' timeoutMs; SLACK_MS the margin for a loaded 2-core machine. */
const TIMEOUT_MS = 1000;
const SLACK_MS = 5000;

describe('redis: an extension with an unknown outcome', () => {
  let server: RedisHandle;
  let url: string;
  beforeAll(async () => {
    server = await startRedis();
    url = `${server.url}?prefix=unknown-${randomBytes(4).toString('hex')}:&timeoutMs=${TIMEOUT_MS}`;
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('a timed-out extend(short) that Redis applies later leaves expiresAt no later than the store', async () => {
    const [a, b] = await Promise.all([connect(url), connect(url)]);
    let frozen = false;
    try {
      const lease = await a.lock('job').acquire({ ttlMs: 60_000 });
      process.kill(server.pid, 'SIGSTOP');
      frozen = true;
      const err = await lease.extend(3_000).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BackendUnavailableError);
      process.kill(server.pid, 'SIGCONT');
      frozen = false;

      // The script Redis received before it froze runs now: the store holds the short TTL.
      const info = await b.lock('job').inspect();
      expect(info).toMatchObject({ held: true, fence: lease.fence });
      expect(info.expiresAt! - Date.now()).toBeLessThan(30_000);
      expect(lease.lost || lease.expiresAt <= info.expiresAt! + SLACK_MS).toBe(true);

      const other = await b.lock('job').acquire({ waitMs: 3_000 + SLACK_MS, ttlMs: 30_000 });
      expect(lease.lost).toBe(true); // granted only after the lease stopped claiming the lock
      await other.release();
    } finally {
      if (frozen) process.kill(server.pid, 'SIGCONT');
      await Promise.all([a.close(), b.close()]);
    }
  }, 60_000);
});
