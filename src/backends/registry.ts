/**
 * The registry maps URL schemes to backend modules, loaded on first use so that a user of one
 * backend never loads another's client library. Each backend adds its schemes here.
 */
import { InvalidArgumentError } from '../errors.js';
import type { BackendOpener } from './types.js';

const openers: ReadonlyMap<string, () => Promise<BackendOpener>> = new Map([
  ['memory:', async () => (await import('./memory/index.js')).openMemory],
  ['redis:', async () => (await import('./redis/index.js')).openRedis],
  ['rediss:', async () => (await import('./redis/index.js')).openRedis],
  ['redis+sentinel:', async () => (await import('./redis/index.js')).openRedis],
  ['redis+cluster:', async () => (await import('./redis/index.js')).openRedis],
  ['etcd:', async () => (await import('./etcd/index.js')).openEtcd],
  ['etcds:', async () => (await import('./etcd/index.js')).openEtcd],
  ['http:', async () => (await import('./http/index.js')).openHttp],
  ['https:', async () => (await import('./http/index.js')).openHttp],
  ['redlock:', async () => (await import('./redlock/index.js')).openRedlock],
]);

/** SCHEMES lists the URL schemes `connect()` understands. */
export const SCHEMES: readonly string[] = [...openers.keys()].map((s) => s.slice(0, -1));

/** openerFor loads the backend for a URL's scheme; InvalidArgumentError for an unknown scheme. */
export async function openerFor(url: URL): Promise<BackendOpener> {
  const load = openers.get(url.protocol);
  if (!load) {
    throw new InvalidArgumentError(
      `unknown backend scheme "${url.protocol}" (known: ${SCHEMES.map((s) => `${s}://`).join(', ')})`,
    );
  }
  return load();
}
