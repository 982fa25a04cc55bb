/**
 * Graceful shutdown of a real `baton serve` process: SIGTERM while a client long-polls for a
 * lock and while watch streams are open. The process exits within its deadline, the long-poll
 * fails at once with BackendUnavailableError, a raw SSE stream ends, and the http backend's
 * watch gives up with BackendUnavailableError once the server stays away — nothing hangs.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { BackendUnavailableError, type Baton, connect } from '../../src/index.js';
import { type Served, spawnServe } from './support/spawn.js';

const spawned: Served[] = [];
const clients: Baton[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  for (const s of spawned.splice(0)) if (s.child.exitCode === null) s.child.kill('SIGKILL');
});

/** settle resolves to how a promise ended and after how many ms. */
function settle<T>(p: Promise<T>): Promise<{ ok: boolean; value: unknown; ms: number }> {
  const started = performance.now();
  return p.then(
    (value) => ({ ok: true, value, ms: performance.now() - started }),
    (value: unknown) => ({ ok: false, value, ms: performance.now() - started }),
  );
}

describe('baton serve shutdown', () => {
  it('SIGTERM during a long-poll and open watch streams: clean errors, exit within the deadline', {
    timeout: 60_000,
  }, async () => {
    const served = await spawnServe(['--shutdown-ms', '3000', '--sse-keepalive-ms', '500']);
    spawned.push(served);
    const holder = await connect(served.url, { timeoutMs: 1_000 });
    const waiter = await connect(served.url, { timeoutMs: 1_000 });
    const watcher = await connect(served.url, { timeoutMs: 1_000 });
    clients.push(holder, waiter, watcher);
    await holder.lock('busy').acquire({ ttlMs: 60_000 });
    const longPoll = settle(waiter.lock('busy').acquire({ waitMs: 60_000 }));
    const watching = settle(
      (async () => {
        for await (const _ of watcher.dict('d').watch()) {
          // nothing is written; the stream only carries keep-alives
        }
      })(),
    );
    const ac = new AbortController();
    const raw = await fetch(`${served.url}/v1/dicts/d/watch`, { signal: ac.signal });
    const rawText = settle(raw.text());
    await new Promise((r) => setTimeout(r, 500));

    const started = performance.now();
    served.child.kill('SIGTERM');
    const code = await served.exited;
    const exitMs = performance.now() - started;
    expect(code).toBe(0);
    expect(exitMs).toBeLessThan(3_000 + 2_000);

    const poll = await longPoll;
    expect(poll.ok).toBe(false);
    expect(poll.value).toBeInstanceOf(BackendUnavailableError);
    expect(poll.ms).toBeLessThan(10_000);
    const stream = await rawText;
    expect(stream.ok).toBe(true);
    expect(stream.value).toContain(': server shutting down');
    const watch = await watching;
    expect(watch.ok).toBe(false);
    expect(watch.value).toBeInstanceOf(BackendUnavailableError);
    expect(served.output()).toMatch(/"msg":"shut down cleanly"/);
    ac.abort();
  });

  it('an unreachable server fails connect() with BackendUnavailableError within timeoutMs', async () => {
    const served = await spawnServe();
    spawned.push(served);
    served.child.kill('SIGTERM');
    await served.exited;
    const started = performance.now();
    await expect(connect(served.url, { timeoutMs: 1_000 })).rejects.toBeInstanceOf(BackendUnavailableError);
    expect(performance.now() - started).toBeLessThan(3_000);
    await expect(connect('http://10.255.255.1:7070', { timeoutMs: 300 })).rejects.toBeInstanceOf(
      BackendUnavailableError,
    );
  });
});
