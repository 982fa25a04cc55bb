/**
 * A near-cached dict over http on a `baton serve` (memory) SIGKILLed and restarted on the same
 * port: the restarted server's store is another history, so the client's watch reconnect ends
 * the cache's watch and the cache is dropped; from then on no read returns a pre-restart value,
 * and the cache fills again from the new store.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type Baton, connect } from '../../src/index.js';
import { eventually } from '../conformance/harness.js';
import { untilSucceeds } from '../support/retry.js';
import { type Served, spawnServe } from './support/spawn.js';

const WAIT_MS = 30_000;
const spawned: Served[] = [];
const clients: Baton[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  for (const s of spawned.splice(0)) if (s.child.exitCode === null) s.child.kill('SIGKILL');
});

describe('near cache over http on a baton serve (memory) killed and restarted', () => {
  it('is dropped at the reconnect and never serves a pre-restart value after it', {
    timeout: 90_000,
  }, async () => {
    const first = await spawnServe(['--sse-keepalive-ms', '500']);
    spawned.push(first);
    const port = new URL(first.url).port;
    const reader = await connect(first.url, { timeoutMs: 30_000 });
    clients.push(reader);
    const d = reader.dict<string>('cached', { cache: { maxEntries: 8 } });
    const w1 = await connect(first.url, { timeoutMs: 5_000 });
    await w1.dict<string>('cached').set('k', 'before');
    await w1.close();
    await eventually(
      async () => {
        const hits = d.cacheStats()!.hits;
        expect(await d.get('k')).toBe('before');
        return d.cacheStats()!.hits > hits;
      },
      WAIT_MS,
      'a cache hit',
    );

    first.child.kill('SIGKILL');
    await first.exited;
    const second = await spawnServe(['--port', port, '--sse-keepalive-ms', '500']);
    spawned.push(second);
    const w2 = await connect(second.url, { timeoutMs: 5_000 });
    clients.push(w2);
    await untilSucceeds(() => w2.ping());
    await w2.dict<string>('cached').set('k', 'after');

    await eventually(async () => d.cacheStats()!.resets > 0, WAIT_MS, 'the cache dropped');
    // From the drop on, every read is the new store's.
    await eventually(
      async () => {
        const value = await d.get('k');
        expect(value).toBe('after');
        return d.cacheStats()!.watching;
      },
      WAIT_MS,
      'the watch running again',
    );
    await eventually(
      async () => {
        const hits = d.cacheStats()!.hits;
        expect(await d.get('k')).toBe('after');
        return d.cacheStats()!.hits > hits;
      },
      WAIT_MS,
      'a cache hit after the restart',
    );
  });
});
