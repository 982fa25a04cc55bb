/**
 * Waiting helpers for fault tests: retry a call until the backend answers again, and time how
 * long a call takes to settle. Used wherever a test kills and restarts a server.
 */
import { setTimeout as sleep } from 'node:timers/promises';

/** RECOVERY_MS bounds how long a client may take to reach a restarted server again. */
export const RECOVERY_MS = 15_000;

/** untilSucceeds resolves once `check()` succeeds, or rejects with its last error after `timeoutMs`. */
export async function untilSucceeds(
  check: () => Promise<unknown>,
  { timeoutMs = RECOVERY_MS, intervalMs = 50 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (err) {
      if (performance.now() > deadline) throw err;
      await sleep(intervalMs);
    }
  }
}

/** timed measures how long `p` takes to settle, and what it settled with. */
export async function timed<T>(p: Promise<T>): Promise<{ ms: number; value?: T; error?: unknown }> {
  const started = performance.now();
  try {
    const value = await p;
    return { ms: performance.now() - started, value };
  } catch (error) {
    return { ms: performance.now() - started, error };
  }
}
