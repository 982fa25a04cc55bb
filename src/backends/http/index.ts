/**
 * The http backend (`http://host:7070`, `https://…`): locks and dicts held by a baton server
 * (`baton serve`), which itself runs on any other backend — Python's Manager-proxy pattern.
 * A bearer token comes from the URL's user info (`http://:TOKEN@host:7070`, or `TOKEN@host`) or
 * from `BATON_TOKEN`; a path (`http://host/baton`) is the server's mount point.
 *
 * Opening reads `/v1/capabilities`, so an unreachable server fails `connect()` at once with
 * BackendUnavailableError (within `timeoutMs`), and a bad token with InvalidArgumentError. The
 * capabilities are the server backend's, passed through; semaphores and read-write locks are
 * there when the server reports their capabilities (else the server's reason why not).
 */
import { z } from 'zod';
import { BackendUnavailableError, InvalidArgumentError } from '../../errors.js';
import type { BackendOptions, OpenedBackend } from '../types.js';
import { HttpClient } from './client.js';
import { HttpDicts } from './dicts.js';
import { HttpLocks } from './locks.js';
import { HttpSemaphores } from './semaphores.js';
import { TokenMap } from './tokens.js';

const Capabilities = z.object({
  locks: z.object({
    fairOrdering: z.boolean(),
    notifiedWaiting: z.boolean(),
    minTtlMs: z.number(),
    listing: z.boolean(),
  }),
  dicts: z.object({
    ownershipGuard: z.boolean(),
    // Absent from servers older than the issuance check; a server that reports it refuses unissued fences.
    fenceIssuedCheck: z.boolean().optional(),
    ttlGranularityMs: z.number(),
    historyLimit: z.number().optional(),
  }),
  limits: z.object({ maxWaitMs: z.int().min(1), maxBodyBytes: z.number(), sseKeepAliveMs: z.int().min(1) }),
  // Absent from servers older than semaphores; null (with the reason) when the server's backend has none.
  semaphores: z
    .object({
      fairOrdering: z.boolean(),
      notifiedWaiting: z.boolean(),
      minTtlMs: z.number(),
      listing: z.boolean(),
    })
    .nullable()
    .optional(),
  semaphoresUnsupported: z.string().optional(),
});

/** openHttp connects to the baton server a URL names. */
export async function openHttp(url: URL, options: BackendOptions): Promise<OpenedBackend> {
  const timeoutMs = options.timeoutMs ?? 5_000;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1) {
    throw new InvalidArgumentError(`timeoutMs must be a positive integer (got ${timeoutMs})`);
  }
  if (url.search || url.hash) {
    throw new InvalidArgumentError(
      `${url.protocol}// URLs take no query or fragment (got ${url.origin}${url.pathname}…)`,
    );
  }
  const fromUrl = decodeURIComponent(url.password || url.username);
  const token = fromUrl || process.env.BATON_TOKEN || undefined;
  const base = new URL(url.origin + url.pathname);
  const client = new HttpClient(base, token, timeoutMs);
  let caps: z.infer<typeof Capabilities>;
  try {
    const parsed = Capabilities.safeParse(await client.json('GET', '/v1/capabilities'));
    if (!parsed.success) {
      throw new BackendUnavailableError(
        `${base.origin} does not look like a baton server (bad /v1/capabilities)`,
      );
    }
    caps = parsed.data;
  } catch (err) {
    await client.close();
    throw err;
  }
  const tokens = new TokenMap();
  const locks = new HttpLocks(client, caps.locks, caps.limits.maxWaitMs, tokens);
  // The server refuses unissued fences itself (in its store or in its SharedDict); an older
  // server does not, and the client then reads the lock's issued fence before each fenced write.
  const dictCaps = { ...caps.dicts, fenceIssuedCheck: caps.dicts.fenceIssuedCheck !== undefined };
  const dicts = new HttpDicts(client, dictCaps, caps.limits.sseKeepAliveMs, tokens);
  return {
    locks,
    dicts,
    pools: caps.semaphores
      ? {
          semaphores: new HttpSemaphores(client, caps.semaphores, caps.limits.maxWaitMs, tokens, 'semaphore'),
          rwlocks: new HttpSemaphores(client, caps.semaphores, caps.limits.maxWaitMs, tokens, 'rwlock'),
        }
      : `the baton server at ${base.origin} has no semaphores or read-write locks: ${
          caps.semaphoresUnsupported ?? 'it is older than them'
        }`,
    close: () => client.close(),
  };
}
