/**
 * acquireFresh: acquire a lock for a recipe, waiting in rounds of a third of the TTL. A grant's
 * local deadline counts from when the request that got it was sent (on the http backend a
 * long-poll may wait for seconds before the grant), so a single wait longer than the TTL could
 * hand back a lease already past its deadline. Waiting in rounds bounds that: every lease it
 * returns has at least two thirds of its TTL left, enough for its first extension.
 *
 * How it fails: LockTimeoutError (naming the lock, with the whole `waitMs`) when not granted in
 * time; the signal's reason when aborted; BackendUnavailableError from the store.
 */
import { LockTimeoutError } from '../errors.js';
import type { Lease } from '../locks/lease.js';
import type { Lock } from '../locks/lock.js';

/** acquireFresh acquires `lock` with auto-extension, waiting up to `waitMs` in rounds of ttlMs/3. */
export async function acquireFresh(
  lock: Lock,
  options: { ttlMs: number; waitMs: number; signal?: AbortSignal | undefined },
): Promise<Lease> {
  const deadline = performance.now() + options.waitMs;
  const round = Math.max(1, Math.floor(options.ttlMs / 3));
  for (;;) {
    const remaining = Math.max(0, Math.floor(deadline - performance.now()));
    const waitMs = Math.min(remaining, round);
    // A signal of its own per round, so whatever a round leaves listening on it goes with it.
    const signal = options.signal ? AbortSignal.any([options.signal]) : undefined;
    try {
      return await lock.acquire({ ttlMs: options.ttlMs, waitMs, signal, autoExtend: true });
    } catch (err) {
      if (!(err instanceof LockTimeoutError) || waitMs >= remaining) {
        if (err instanceof LockTimeoutError) throw new LockTimeoutError(lock.name, options.waitMs);
        throw err;
      }
    }
  }
}
