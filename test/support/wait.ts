/** Polling with a deadline: for servers that are starting up, and for events that announce nothing. */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ServerProcess } from './processes.js';

/** WaitOptions bound a `waitForServer` poll. */
export interface WaitOptions {
  /** what names the server in errors, e.g. "redis-server on 127.0.0.1:6379". */
  readonly what: string;
  readonly timeoutMs?: number;
  readonly intervalMs?: number;
  /** signal gives up early: the wait rejects with the signal's reason. */
  readonly signal?: AbortSignal;
}

/**
 * waitForServer polls `ready` until it resolves true. It throws, with the tail of the server's
 * output, when the process exits first or the deadline (10 s by default) passes. Errors thrown by
 * `ready` count as "not yet". An aborted `signal` ends the wait with its reason.
 */
export async function waitForServer(
  server: Pick<ServerProcess, 'hasExited' | 'output'>,
  ready: () => Promise<boolean>,
  { what, timeoutMs = 10_000, intervalMs = 25, signal }: WaitOptions,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  for (;;) {
    signal?.throwIfAborted();
    if (server.hasExited()) {
      throw new ServerStartError(`${what} exited before it answered`, server.output());
    }
    try {
      if (await ready()) return;
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() > deadline) {
      const why = lastError === '' ? '' : ` (last probe error: ${lastError})`;
      throw new ServerStartError(`${what} did not answer within ${timeoutMs} ms${why}`, server.output());
    }
    await sleep(intervalMs);
  }
}

/** ServerStartError says that a test server did not come up; `output` is the tail of what it printed. */
export class ServerStartError extends Error {
  override readonly name = 'ServerStartError';
  readonly output: string;

  constructor(message: string, output: string) {
    super(`${message}\n--- server output (tail) ---\n${output}`);
    this.output = output;
  }
}

/**
 * waitUntil polls `check` every `intervalMs` (25 ms) until it resolves true, for events that announce
 * nothing (an entry's expiry, a lease becoming free). It rejects naming `what` once `timeoutMs`
 * (10 s by default) passes; pick a deadline a busy CPU cannot eat, since it only bounds a failure.
 */
export async function waitUntil(
  check: () => Promise<boolean> | boolean,
  what: string,
  { timeoutMs = 10_000, intervalMs = 25 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await sleep(intervalMs);
  }
}
