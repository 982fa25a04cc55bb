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
import { BackendUnavailableError, InvalidArgumentError } from '../../errors.js';
import type { BackendOptions, OpenedBackend } from '../types.js';
import { HttpClient } from './client.js';
import { HttpDicts } from './dicts.js';
import { HttpLocks } from './locks.js';
import { HttpSemaphores } from './semaphores.js';
import { TokenMap } from './tokens.js';

/** PoolCapabilities are a server's lock (or semaphore) capabilities. */
interface PoolCapabilities {
  readonly fairOrdering: boolean;
  readonly notifiedWaiting: boolean;
  readonly minTtlMs: number;
  readonly listing: boolean;
}

/** Capabilities is the part of a server's `/v1/capabilities` answer this client uses. */
interface Capabilities {
  readonly locks: PoolCapabilities;
  readonly dicts: {
    readonly ownershipGuard: boolean;
    // Absent from servers older than the issuance check; a server that reports it refuses unissued fences.
    readonly fenceIssuedCheck?: boolean;
    readonly ttlGranularityMs: number;
    readonly historyLimit?: number;
  };
  readonly limits: {
    readonly maxWaitMs: number;
    readonly maxBodyBytes: number;
    readonly sseKeepAliveMs: number;
  };
  // Absent from servers older than semaphores; null (with the reason) when the server's backend has none.
  readonly semaphores?: PoolCapabilities | null;
  readonly semaphoresUnsupported?: string;
}

/** NOT_BATON is thrown inside readCapabilities at the first field that does not fit. */
const NOT_BATON = Symbol('not a baton capabilities document');

/**
 * readCapabilities checks a `/v1/capabilities` answer and copies the fields it knows (unknown ones
 * are dropped); undefined when it does not fit. Written out rather than a zod schema: loading zod
 * costs a CLI call more time than the whole rest of `baton dict get`.
 */
function readCapabilities(raw: unknown): Capabilities | undefined {
  try {
    const doc = record(raw);
    const dicts = record(doc.dicts);
    const limits = record(doc.limits);
    return {
      locks: poolCapabilities(doc.locks),
      dicts: {
        ownershipGuard: bool(dicts.ownershipGuard),
        ...(dicts.fenceIssuedCheck !== undefined && { fenceIssuedCheck: bool(dicts.fenceIssuedCheck) }),
        ttlGranularityMs: num(dicts.ttlGranularityMs),
        ...(dicts.historyLimit !== undefined && { historyLimit: num(dicts.historyLimit) }),
      },
      limits: {
        maxWaitMs: positiveInt(limits.maxWaitMs),
        maxBodyBytes: num(limits.maxBodyBytes),
        sseKeepAliveMs: positiveInt(limits.sseKeepAliveMs),
      },
      ...(doc.semaphores !== undefined && {
        semaphores: doc.semaphores === null ? null : poolCapabilities(doc.semaphores),
      }),
      ...(doc.semaphoresUnsupported !== undefined && {
        semaphoresUnsupported: str(doc.semaphoresUnsupported),
      }),
    };
  } catch (err) {
    if (err === NOT_BATON) return undefined;
    throw err;
  }
}

function poolCapabilities(value: unknown): PoolCapabilities {
  const o = record(value);
  return {
    fairOrdering: bool(o.fairOrdering),
    notifiedWaiting: bool(o.notifiedWaiting),
    minTtlMs: num(o.minTtlMs),
    listing: bool(o.listing),
  };
}

function record(value: unknown): Readonly<Record<string, unknown>> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw NOT_BATON;
  return value as Record<string, unknown>;
}

function bool(value: unknown): boolean {
  if (typeof value !== 'boolean') throw NOT_BATON;
  return value;
}

function num(value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw NOT_BATON;
  return value;
}

function positiveInt(value: unknown): number {
  if (!Number.isSafeInteger(value) || (value as number) < 1) throw NOT_BATON;
  return value as number;
}

function str(value: unknown): string {
  if (typeof value !== 'string') throw NOT_BATON;
  return value;
}

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
  let caps: Capabilities;
  try {
    const parsed = readCapabilities(await client.json('GET', '/v1/capabilities'));
    if (!parsed) {
      throw new BackendUnavailableError(
        `${base.origin} does not look like a baton server (bad /v1/capabilities)`,
      );
    }
    caps = parsed;
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
