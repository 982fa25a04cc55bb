/**
 * The registry maps URL schemes to backend modules, loaded on first use so that a user of one
 * backend never loads another's client library. Each backend adds its schemes here.
 *
 * The Redis client (ioredis) and the etcd client (etcd3) are optional peer dependencies: a
 * memory:// or http:// user does not install them. A scheme whose client is missing fails with
 * UnsupportedError naming the exact `npm install` that fixes it.
 */
import { InvalidArgumentError, UnsupportedError } from '../errors.js';
import type { BackendOpener } from './types.js';

/** Loader is one scheme's backend: its module import, and the peer package it needs, if any. */
interface Loader {
  readonly load: () => Promise<BackendOpener>;
  readonly peer?: string;
}

const redis: Loader = { load: async () => (await import('./redis/index.js')).openRedis, peer: 'ioredis' };
const etcd: Loader = { load: async () => (await import('./etcd/index.js')).openEtcd, peer: 'etcd3' };
const http: Loader = { load: async () => (await import('./http/index.js')).openHttp };

const loaders: ReadonlyMap<string, Loader> = new Map([
  ['memory:', { load: async () => (await import('./memory/index.js')).openMemory }],
  ['redis:', redis],
  ['rediss:', redis],
  ['redis+sentinel:', redis],
  ['redis+cluster:', redis],
  ['etcd:', etcd],
  ['etcds:', etcd],
  ['http:', http],
  ['https:', http],
  ['redlock:', { load: async () => (await import('./redlock/index.js')).openRedlock, peer: 'ioredis' }],
]);

/** SCHEMES lists the URL schemes `connect()` understands. */
export const SCHEMES: readonly string[] = [...loaders.keys()].map((s) => s.slice(0, -1));

/**
 * openerFor loads the backend for a URL's scheme. InvalidArgumentError for an unknown scheme;
 * UnsupportedError when the scheme's client library (ioredis, etcd3) is not installed.
 */
export async function openerFor(url: URL): Promise<BackendOpener> {
  const loader = loaders.get(url.protocol);
  if (!loader) {
    throw new InvalidArgumentError(
      `unknown backend scheme "${url.protocol}" (known: ${SCHEMES.map((s) => `${s}://`).join(', ')})`,
    );
  }
  try {
    return await loader.load();
  } catch (err) {
    if (loader.peer !== undefined && isPackageMissing(err, loader.peer)) {
      throw new UnsupportedError(
        `${url.protocol}// needs the ${loader.peer} package: npm install ${loader.peer}`,
        { cause: err },
      );
    }
    throw err;
  }
}

/**
 * isPackageMissing is true when an ES import failed because the package itself cannot be found
 * (Node: ERR_MODULE_NOT_FOUND, "Cannot find package 'ioredis' imported from …"). A package that is
 * present but broken, or one of its own dependencies missing, is a different failure and is rethrown.
 */
export function isPackageMissing(err: unknown, name: string): boolean {
  return (
    err instanceof Error &&
    (err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' &&
    err.message.includes(`Cannot find package '${name}'`)
  );
}
