/**
 * parseRedlockUrl turns a `redlock://` URL into the settings of each master:
 *
 * ```
 * redlock://[user:pass@]h1[:6379],h2[:6379],h3[:6379][/db][?prefix=…&timeoutMs=…&tls=true]
 * ```
 *
 * Each listed host is one independent Redis master (not replicas of each other); an odd number of
 * at least three is what Redlock is for. `connect()` percent-encodes such a host list before URL
 * parsing, so the hosts are read with `decodeURIComponent(url.host)`; the encoded form
 * `redlock://h1%3A6379,h2%3A6379` works as well. Credentials, database and TLS apply to every
 * master. Query options: `prefix` (key prefix, default `baton:`), `timeoutMs` (connect timeout
 * and the per-instance command timeout, default 5000), `tls`.
 *
 * Every master's settings are made by the Redis backend's own parser (one `redis://` URL per
 * host), so host, port, prefix and timeout rules are the same on both backends.
 *
 * Fails with InvalidArgumentError for a malformed URL, an unknown option, or a host listed twice
 * (two entries for one server would let one server count twice towards the quorum).
 */
import { InvalidArgumentError } from '../../errors.js';
import { parseRedisUrl, type RedisSettings } from '../redis/index.js';
import type { BackendOptions } from '../types.js';
import { quorumOf } from './quorum.js';

/** RedlockSettings is what a Redlock URL says: one Redis setting per master. */
export interface RedlockSettings {
  readonly masters: readonly RedisSettings[];
  /** quorum is ⌊N/2⌋+1. */
  readonly quorum: number;
  /** timeoutMs is the connect timeout and the per-instance command timeout. */
  readonly timeoutMs: number;
  /** prefix is the key prefix on every master. */
  readonly prefix: string;
}

const KNOWN_OPTIONS = new Set(['prefix', 'timeoutMs', 'tls']);

/** parseRedlockUrl reads a `redlock:` URL; InvalidArgumentError when it is malformed. */
export function parseRedlockUrl(url: URL, options: BackendOptions = {}): RedlockSettings {
  if (url.protocol !== 'redlock:')
    throw new InvalidArgumentError(`not a redlock URL scheme: ${url.protocol}`);
  for (const key of url.searchParams.keys()) {
    if (!KNOWN_OPTIONS.has(key)) {
      throw new InvalidArgumentError(
        `unknown redlock URL option "${key}" (known: ${[...KNOWN_OPTIONS].join(', ')})`,
      );
    }
  }
  const authority = decodeURIComponent(url.host);
  if (authority === '') {
    throw new InvalidArgumentError('redlock:// needs a list of masters: redlock://h1:6379,h2:6379,h3:6379');
  }
  const userinfo = url.username ? `${url.username}${url.password ? `:${url.password}` : ''}@` : '';
  const path = url.pathname.replace(/\/+$/, '');
  const masters = authority.split(',').map((host) => {
    const text = host.trim();
    if (text === '' || /[/?#@]/.test(text)) {
      throw new InvalidArgumentError(`redlock URL: "${host}" is not host or host:port`);
    }
    let redisUrl: URL;
    try {
      redisUrl = new URL(`redis://${userinfo}${text}${path}${url.search}`);
    } catch {
      throw new InvalidArgumentError(`redlock URL: "${host}" is not host or host:port`);
    }
    return parseRedisUrl(redisUrl, options);
  });
  const seen = new Set<string>();
  for (const m of masters) {
    const node = m.nodes[0]!;
    const id = `${node.host}:${node.port}`;
    if (seen.has(id)) throw new InvalidArgumentError(`redlock URL lists master ${id} twice`);
    seen.add(id);
  }
  const first = masters[0]!;
  return {
    masters,
    quorum: quorumOf(masters.length),
    timeoutMs: first.timeoutMs,
    prefix: first.prefix,
  };
}
