/**
 * extendListed: an extension as Redis locks and pools both make it — the extension script plus
 * the write of the listing index that goes with it (the lock index, listing.ts, or a namespace's
 * pool index, semaphores.ts), which lives in another slot in a cluster. With a TTL given the index
 * write goes beside the script, so both take one round trip (a refused extension's entry is
 * harmless: a listing checks every name it reads); without one it goes after the script, which
 * tells the TTL it kept. Where the script writes the index itself there is no `touch`.
 */
import type { LockGrant } from '../../locks/backend.js';
import type { Extended } from './script-defs.js';

/** extendListed runs `extend` and `touch` as the module comment says; null when the token holds nothing. */
export async function extendListed(
  given: number | undefined,
  extend: () => Promise<Extended>,
  touch: ((ttlMs: number) => Promise<void>) | undefined,
): Promise<LockGrant | null> {
  const startedAt = performance.now();
  const beside = touch && given !== undefined ? touch(given) : undefined;
  const [extended] = await Promise.all([extend(), beside]);
  if (!extended) return null;
  if (touch && given === undefined) await touch(extended.ttlMs);
  return { ...extended, startedAt };
}
