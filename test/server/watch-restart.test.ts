/**
 * A `baton serve` on a memory store SIGKILLed and restarted on the same port while an http
 * client watches: the restarted server's store is a new history (its versions start again at 1),
 * so the client's automatic reconnect must end the watch with HistoryCompactedError — never
 * deliver the new store's versions as if they continued the old one (a skip or a repeat).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type Baton, type Change, connect, HistoryCompactedError } from '../../src/index.js';
import { untilSucceeds } from '../support/retry.js';
import { type Served, spawnServe } from './support/spawn.js';

const spawned: Served[] = [];
const clients: Baton[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  for (const s of spawned.splice(0)) if (s.child.exitCode === null) s.child.kill('SIGKILL');
});

describe('baton serve (memory) killed and restarted under a watching http client', () => {
  it('the watch ends with HistoryCompactedError, after only the old history’s changes', {
    timeout: 90_000,
  }, async () => {
    const first = await spawnServe(['--sse-keepalive-ms', '500']);
    spawned.push(first);
    const port = new URL(first.url).port;
    // A long timeout: the client keeps reconnecting while the server restarts.
    const watcher = await connect(first.url, { timeoutMs: 30_000 });
    clients.push(watcher);
    const writer = await connect(first.url, { timeoutMs: 5_000 });
    clients.push(writer);
    const d = writer.dict<string>('restarted');
    const seen: Change<string>[] = [];
    let arrived = 0;
    let wake: (() => void) | undefined;
    const watching = (async () => {
      for await (const c of watcher.dict<string>('restarted').watch({ fromVersion: 0 })) {
        seen.push(c);
        arrived++;
        wake?.();
        if (seen.length >= 5) break; // enough to show a skip or a repeat
      }
    })().then(
      () => 'ended' as const,
      (err: unknown) => err,
    );
    for (let i = 1; i <= 3; i++) await d.set(`old${i}`, `old-${i}`);
    while (arrived < 3) await new Promise<void>((resolve) => (wake = resolve));

    first.child.kill('SIGKILL');
    await first.exited;
    await writer.close();
    const second = await spawnServe(['--port', port, '--sse-keepalive-ms', '500']);
    spawned.push(second);
    const writer2 = await connect(second.url, { timeoutMs: 5_000 });
    clients.push(writer2);
    await untilSucceeds(() => writer2.ping());
    const d2 = writer2.dict<string>('restarted');
    for (let i = 1; i <= 5; i++) await d2.set(`new${i}`, `new-${i}`);

    const outcome = await watching;
    expect(seen.map((c) => [c.key, c.version])).toEqual([
      ['old1', 1],
      ['old2', 2],
      ['old3', 3],
    ]);
    expect(outcome).toBeInstanceOf(HistoryCompactedError);
  });
});
