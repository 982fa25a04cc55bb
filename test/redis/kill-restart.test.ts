/**
 * Redis going away under clients that wait and write: every call fails with
 * BackendUnavailableError within the configured timeout (never a hang, never a silent retry), and
 * the same baton clients work again once Redis is back, without being recreated.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackendUnavailableError, connect } from '../../src/index.js';
import { freePort, type RedisHandle, startRedis } from '../support/services.js';
import { timed, untilAnswers } from './helpers.js';

/** TIMEOUT_MS is the clients' timeoutMs; SLACK_MS the margin for a loaded 2-core machine. */
const TIMEOUT_MS = 1000;
const SLACK_MS = 3000;

describe('redis killed or frozen under waiting and writing clients', () => {
  let server: RedisHandle;
  let url: string;
  beforeAll(async () => {
    server = await startRedis();
    url = `${server.url}?prefix=kill-${randomBytes(4).toString('hex')}:&timeoutMs=${TIMEOUT_MS}`;
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('connect to a port nobody listens on fails with BackendUnavailableError within timeoutMs', async () => {
    const port = await freePort();
    const r = await timed(connect(`redis://127.0.0.1:${port}?timeoutMs=${TIMEOUT_MS}`));
    expect(r.error).toBeInstanceOf(BackendUnavailableError);
    expect(r.ms).toBeLessThan(TIMEOUT_MS + SLACK_MS);
  });

  it('killed: waiters, writers and watchers fail fast; after restart the same clients work', async () => {
    const a = await connect(url);
    const b = await connect(url);
    try {
      const holder = await a.lock('job', { ttlMs: 60_000 }).acquire();
      const waiter = timed(b.lock('job').acquire());
      const counter = b.dict<number>('counts');
      const writer = timed(
        (async () => {
          for (;;) await counter.incr('n');
        })(),
      );
      const watcher = timed(
        (async () => {
          for await (const _ of a.dict('counts').watch()) {
            // drain
          }
        })(),
      );
      await sleep(300); // the waiter is subscribed, the writer and watcher are busy

      const killedAt = performance.now();
      await server.kill();
      for (const r of [await waiter, await writer, await watcher]) {
        expect(r.error).toBeInstanceOf(BackendUnavailableError);
      }
      expect(performance.now() - killedAt).toBeLessThan(TIMEOUT_MS + SLACK_MS);

      // While Redis is down, every call fails at once instead of queueing.
      const calls: Array<() => Promise<unknown>> = [
        () => counter.set('x', 1),
        () => counter.get('x'),
        () => b.lock('job').acquire({ waitMs: 60_000 }),
        () => holder.extend(),
        () => a.ping(),
      ];
      for (const call of calls) {
        const r = await timed(call());
        expect(r.error).toBeInstanceOf(BackendUnavailableError);
        expect(r.ms).toBeLessThan(TIMEOUT_MS + SLACK_MS);
      }

      await server.restart();
      await untilAnswers(a);
      await untilAnswers(b);
      // Nothing was persisted: the lock is free, and a fresh wait is woken by a release again.
      const again = await a.lock('job', { ttlMs: 60_000 }).acquire({ waitMs: 5000 });
      const woken = b.lock('job').acquire({ waitMs: 10_000 });
      await sleep(100);
      await again.release();
      await (await woken).release();
      await counter.set('x', 2);
      expect(await counter.get('x')).toBe(2);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  }, 60_000);

  it('frozen (SIGSTOP): calls and waiters fail with BackendUnavailableError within the timeout', async () => {
    const a = await connect(url);
    const b = await connect(url);
    const pid = server.pid;
    try {
      const holder = await a.lock('frozen', { ttlMs: 60_000 }).acquire();
      const waiter = timed(b.lock('frozen').acquire());
      await sleep(300);
      process.kill(pid, 'SIGSTOP');
      try {
        const write = await timed(a.dict('d').set('k', 1));
        expect(write.error).toBeInstanceOf(BackendUnavailableError);
        expect(write.ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
        expect(write.ms).toBeLessThan(TIMEOUT_MS + SLACK_MS);
        // The waiter's subscriber connection is checked every timeoutMs: it fails within ~2 × timeoutMs.
        const waited = await waiter;
        expect(waited.error).toBeInstanceOf(BackendUnavailableError);
        expect(waited.ms).toBeLessThan(300 + 2 * TIMEOUT_MS + SLACK_MS);
      } finally {
        process.kill(pid, 'SIGCONT');
      }
      await untilAnswers(a);
      expect(await a.dict('d').set('k', 2)).toBeGreaterThan(0);
      expect(await holder.release()).toBe(true);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  }, 60_000);
});
