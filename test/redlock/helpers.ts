/**
 * Helpers for the Redlock tests: N real redis-server masters (test/support), the `redlock://` URL
 * naming them, and small timing helpers.
 *
 * The URL is built in its percent-encoded form (`redlock://127.0.0.1%3AP1,127.0.0.1%3AP2`), which
 * every URL parser accepts as it is; the plain form `redlock://h1:p1,h2:p2` needs `connect()` to
 * run `parseBackendUrl` first (see test/redlock/url.test.ts).
 */
import { randomBytes } from 'node:crypto';
import type { Baton } from '../../src/index.js';
import { type RedisHandle, type RedisOptions, startRedis } from '../support/services.js';

/** startMasters starts `n` independent redis-servers; if one fails to start, the others are stopped. */
export async function startMasters(n: number, options: RedisOptions = {}): Promise<RedisHandle[]> {
  const started = await Promise.allSettled(Array.from({ length: n }, () => startRedis(options)));
  const handles = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) {
    await stopMasters(handles);
    throw failed.reason;
  }
  return handles;
}

/** stopMasters stops every handle (restarting none). */
export async function stopMasters(handles: readonly RedisHandle[]): Promise<void> {
  await Promise.allSettled(handles.map((h) => h.stop()));
}

/** randomPrefix is a key prefix no other test run uses. */
export function randomPrefix(what = 'redlock'): string {
  return `${what}-${randomBytes(6).toString('hex')}:`;
}

/** redlockUrl names the masters in a `redlock://` URL (host list percent-encoded) with query options. */
export function redlockUrl(
  handles: readonly RedisHandle[],
  options: Record<string, string | number> = {},
): string {
  const hosts = handles.map((h) => `127.0.0.1%3A${h.port}`).join(',');
  const query = Object.entries(options)
    .map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`)
    .join('&');
  return `redlock://${hosts}${query ? `?${query}` : ''}`;
}

export { RECOVERY_MS, timed, untilSucceeds as untilAnswers } from '../support/retry.js';

/** closeAll closes clients, ignoring ones already closed. */
export async function closeAll(batons: readonly Baton[]): Promise<void> {
  await Promise.allSettled(batons.map((b) => b.close()));
}
