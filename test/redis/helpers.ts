/** Helpers shared by the Redis-specific tests. */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Baton } from '../../src/index.js';

/** RECOVERY_MS bounds how long a client may take to reconnect after the server is back. */
export const RECOVERY_MS = 15_000;

/** untilAnswers resolves once `baton.ping()` succeeds (the client reconnected), or rejects after RECOVERY_MS. */
export async function untilAnswers(baton: Baton): Promise<void> {
  const deadline = performance.now() + RECOVERY_MS;
  for (;;) {
    try {
      await baton.ping();
      return;
    } catch (err) {
      if (performance.now() > deadline) throw err;
      await sleep(50);
    }
  }
}

/** elapsed measures how long `p` takes to settle, and what it settled with. */
export async function timed<T>(p: Promise<T>): Promise<{ ms: number; value?: T; error?: unknown }> {
  const started = performance.now();
  try {
    const value = await p;
    return { ms: performance.now() - started, value };
  } catch (error) {
    return { ms: performance.now() - started, error };
  }
}
