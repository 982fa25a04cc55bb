/**
 * parseRedisUrl turns a Redis backend URL into settings. The forms:
 *
 * ```
 * redis://[user:pass@]host[:port][/db][?options]         one server
 * rediss://…                                              the same over TLS
 * redis+sentinel://[user:pass@]host[:port][/masterName][?sentinels=h2:p2,h3:p3&…]
 * redis+cluster://[user:pass@]host[:port][?nodes=h2:p2,h3:p3&…]
 * ```
 *
 * WHATWG URLs (and so `connect()`) refuse several `host:port` pairs in the authority, so further
 * sentinels or cluster seed nodes go in a query option (`sentinels=` / `nodes=`), or the
 * authority is percent-encoded (`redis+cluster://h1%3A7000,h2%3A7001`); hosts without ports
 * (`redis+cluster://h1,h2,h3`, port 6379) also work. Query options: `prefix` (key prefix, default
 * `baton:`), `timeoutMs` (connect and command timeout, default 5000), `history` (watch history
 * length per dict, default 10 000), `expireBatch` (most expired entries one script call purges,
 * 1–1000, default 100), `expireSweepMs` (interval of the background expiry sweep, expiry-sweep.ts;
 * default 1000, 0 turns this client's sweep off), `watchPage` (versions a watch reads and holds at
 * once, default 100), `coalesce` (most concurrent dict calls of this client sent as one script
 * call, 1–1000, default 64; 1 sends every call alone; coalesce.ts), `tls=true` (TLS for sentinel and cluster), `name` (the
 * sentinel master name, instead of the path), `sentinelPassword`.
 *
 * Fails with InvalidArgumentError for a malformed URL or option.
 */
import { InvalidArgumentError } from '../../errors.js';
import type { BackendOptions } from '../types.js';
import { checkPrefix, DEFAULT_PREFIX } from './keys.js';

/** HostPort is one server address. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** RedisSettings is everything a Redis URL (and the connect options) says. */
export interface RedisSettings {
  readonly mode: 'single' | 'sentinel' | 'cluster';
  /** nodes: the server (single), the sentinels (sentinel) or the seed nodes (cluster). */
  readonly nodes: readonly HostPort[];
  readonly db: number;
  readonly username?: string | undefined;
  readonly password?: string | undefined;
  readonly tls: boolean;
  /** sentinelName is the master group name (sentinel mode). */
  readonly sentinelName?: string | undefined;
  readonly sentinelPassword?: string | undefined;
  readonly prefix: string;
  readonly timeoutMs: number;
  readonly historyLimit: number;
  /** expireBatch is the most due entries one dict script purges (expiry-sweep.ts). */
  readonly expireBatch: number;
  /** expireSweepMs is the background sweep's interval; 0 = no sweep on this client. */
  readonly expireSweepMs: number;
  /** watchPage is how many versions a watch reads at once (and so holds at most). */
  readonly watchPage: number;
  /** coalesce is the most concurrent dict calls sent as one script call (coalesce.ts); 1 = none. */
  readonly coalesce: number;
}

/** DEFAULT_TIMEOUT_MS bounds connecting and each command. */
export const DEFAULT_TIMEOUT_MS = 5000;
/** DEFAULT_HISTORY_LIMIT is how many versions of watch history each dict's stream keeps (at least). */
export const DEFAULT_HISTORY_LIMIT = 10_000;
/** DEFAULT_EXPIRE_BATCH is how many due entries one dict script purges at most. */
export const DEFAULT_EXPIRE_BATCH = 100;
/** MAX_EXPIRE_BATCH bounds expireBatch (one version holds that many expire changes; Lua unpacks them). */
export const MAX_EXPIRE_BATCH = 1000;
/** DEFAULT_EXPIRE_SWEEP_MS is how often a client looks for dicts with due entries nobody purged. */
export const DEFAULT_EXPIRE_SWEEP_MS = 1000;
/** DEFAULT_WATCH_PAGE is how many versions a watch reads (and holds) at once. */
export const DEFAULT_WATCH_PAGE = 100;
/** DEFAULT_COALESCE is how many concurrent dict calls one script call carries at most. */
export const DEFAULT_COALESCE = 64;
/** MAX_COALESCE bounds coalesce (one script call's arguments, reply and time in Redis). */
export const MAX_COALESCE = 1000;

const KNOWN_OPTIONS = new Set([
  'prefix',
  'timeoutMs',
  'history',
  'expireBatch',
  'expireSweepMs',
  'watchPage',
  'coalesce',
  'tls',
  'nodes',
  'sentinels',
  'name',
  'sentinelPassword',
]);

/** parseRedisUrl reads a redis:, rediss:, redis+sentinel: or redis+cluster: URL. */
export function parseRedisUrl(url: URL, options: BackendOptions = {}): RedisSettings {
  const q = url.searchParams;
  for (const key of q.keys()) {
    if (!KNOWN_OPTIONS.has(key)) {
      throw new InvalidArgumentError(
        `unknown redis URL option "${key}" (known: ${[...KNOWN_OPTIONS].join(', ')})`,
      );
    }
  }
  const scheme = url.protocol;
  const mode = scheme === 'redis+sentinel:' ? 'sentinel' : scheme === 'redis+cluster:' ? 'cluster' : 'single';
  if (!['redis:', 'rediss:', 'redis+sentinel:', 'redis+cluster:'].includes(scheme)) {
    throw new InvalidArgumentError(`not a redis URL scheme: ${scheme}`);
  }
  const defaultPort = mode === 'sentinel' ? 26379 : 6379;
  const nodes = hostList(url, defaultPort);
  const extra = mode === 'sentinel' ? q.get('sentinels') : mode === 'cluster' ? q.get('nodes') : null;
  if (extra) for (const hp of extra.split(',')) nodes.push(parseHostPort(hp, defaultPort));
  if (mode === 'single' && nodes.length !== 1) {
    throw new InvalidArgumentError(
      'redis:// takes one host (use redis+cluster:// or redis+sentinel:// for more)',
    );
  }

  const path = decodeURIComponent(url.pathname.replace(/^\/+|\/+$/g, ''));
  let db = 0;
  let sentinelName: string | undefined;
  if (mode === 'sentinel') {
    sentinelName = q.get('name') ?? (path || 'mymaster');
  } else if (path !== '') {
    if (mode === 'cluster' || !/^\d+$/.test(path)) {
      throw new InvalidArgumentError(`redis URL path must be a database number (got "${path}")`);
    }
    db = Number(path);
  }

  const timeoutMs = positiveInt(q.get('timeoutMs') ?? options.timeoutMs, DEFAULT_TIMEOUT_MS, 'timeoutMs');
  const historyLimit = positiveInt(
    q.get('history') ?? options.historyLimit,
    DEFAULT_HISTORY_LIMIT,
    'history',
  );
  const expireBatch = positiveInt(q.get('expireBatch'), DEFAULT_EXPIRE_BATCH, 'expireBatch');
  if (expireBatch > MAX_EXPIRE_BATCH) {
    throw new InvalidArgumentError(
      `redis expireBatch must be at most ${MAX_EXPIRE_BATCH} (got ${expireBatch})`,
    );
  }
  const sweep = q.get('expireSweepMs');
  const expireSweepMs = sweep === '0' ? 0 : positiveInt(sweep, DEFAULT_EXPIRE_SWEEP_MS, 'expireSweepMs');
  if (expireSweepMs > 86_400_000) {
    throw new InvalidArgumentError(`redis expireSweepMs must be at most 86400000 (got ${expireSweepMs})`);
  }
  const watchPage = positiveInt(q.get('watchPage'), DEFAULT_WATCH_PAGE, 'watchPage');
  const coalesce = positiveInt(q.get('coalesce'), DEFAULT_COALESCE, 'coalesce');
  if (coalesce > MAX_COALESCE) {
    throw new InvalidArgumentError(`redis coalesce must be at most ${MAX_COALESCE} (got ${coalesce})`);
  }
  const tlsOption = q.get('tls');
  if (tlsOption !== null && tlsOption !== 'true' && tlsOption !== 'false') {
    throw new InvalidArgumentError(`redis URL option tls must be true or false (got "${tlsOption}")`);
  }
  return {
    mode,
    nodes,
    db,
    username: url.username ? decodeURIComponent(url.username) : undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
    tls: scheme === 'rediss:' || tlsOption === 'true',
    sentinelName,
    sentinelPassword: q.get('sentinelPassword') ?? undefined,
    prefix: checkPrefix(q.get('prefix') ?? DEFAULT_PREFIX),
    timeoutMs,
    historyLimit,
    expireBatch,
    expireSweepMs,
    watchPage,
    coalesce,
  };
}

function hostList(url: URL, defaultPort: number): HostPort[] {
  const authority = decodeURIComponent(url.host);
  if (authority === '') return [{ host: '127.0.0.1', port: defaultPort }];
  return authority.split(',').map((h) => parseHostPort(h, defaultPort));
}

function parseHostPort(text: string, defaultPort: number): HostPort {
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(text.trim());
  const port = m?.[2] === undefined ? defaultPort : Number(m[2]);
  if (!m || !(port > 0 && port < 65536)) {
    throw new InvalidArgumentError(`redis URL: "${text}" is not host or host:port`);
  }
  return { host: m[1]!.replace(/^\[(.*)\]$/, '$1'), port };
}

function positiveInt(value: string | number | null | undefined, fallback: number, what: string): number {
  if (value === null || value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    throw new InvalidArgumentError(`redis ${what} must be a positive integer (got ${String(value)})`);
  }
  return n;
}
