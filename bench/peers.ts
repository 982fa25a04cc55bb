/**
 * Opening and closing the peer libraries' clients the way their READMEs do, so scenarios stay
 * about what they measure. Every client here is closed by the scenario that opened it.
 */
import { readFile } from 'node:fs/promises';
import { Redis } from 'ioredis';
import { type Baton, connect } from '../src/index.js';

/** redisClient opens an ioredis client on `url` and waits until it is ready. */
export async function redisClient(url: string): Promise<Redis> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await client.connect();
  return client;
}

/** batons opens `n` baton clients on `url`, each with its own connections. */
export function batons(url: string, n: number): Promise<Baton[]> {
  return Promise.all(Array.from({ length: n }, () => connect(url)));
}

/** closeAll closes clients of any kind, ignoring errors of clients already gone. */
export async function closeAll(
  clients: readonly ({ close(): Promise<unknown> } | { quit(): Promise<unknown> })[],
): Promise<void> {
  await Promise.all(clients.map((c) => ('close' in c ? c.close() : c.quit()).catch(() => undefined)));
}

/** batonScript reads one of baton's own Redis Lua scripts, for the raw floors. */
export function batonScript(name: string): Promise<string> {
  return readFile(new URL(`../src/backends/redis/scripts/${name}.lua`, import.meta.url), 'utf8');
}
