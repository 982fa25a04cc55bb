/**
 * Settings of the etcd backend, read from its URL:
 *
 *   etcd://[user:password@]host[:port][,host[:port]…][/]?prefix=…&timeoutMs=…
 *   etcds://…?ca=/path/ca.pem&cert=/path/client.pem&key=/path/client-key.pem   (TLS)
 *
 * - hosts: the members to talk to (default port 2379). A URL parser that refuses a comma-separated
 *   host list with ports may be given `etcd://h1:2379/?endpoints=h2:2379,h3:2379` instead; both
 *   lists are merged. The authority may also be percent-encoded (`h1%3A2379,h2%3A2379`).
 * - user/password: etcd authentication (percent-encoded in the URL).
 * - prefix: the key prefix of this store (default `baton`); stores with different prefixes on one
 *   cluster are independent.
 * - timeoutMs: bounds each call (default: the connect option `timeoutMs`, else 5000).
 * - watchBuffer: bytes one dict watch may hold for a slow consumer before it ends with
 *   WatchOverflowError (default: the connect option `watchBufferBytes`, else 4 MiB).
 * - ca, cert, key (etcds:// only): PEM files; with none of them the system's roots are used;
 *   a client certificate (cert + key) needs `ca`.
 *
 * How it fails: InvalidArgumentError naming the bad part; nothing is connected.
 */
import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from '../../errors.js';
import { DEFAULT_WATCH_BUFFER_BYTES } from '../../shared-state/watch-buffer.js';
import type { BackendOptions } from '../types.js';

/** DEFAULT_TIMEOUT_MS bounds each etcd call unless the URL or the connect options say otherwise. */
export const DEFAULT_TIMEOUT_MS = 5000;

/** EtcdSettings is everything needed to open the etcd backend. */
export interface EtcdSettings {
  /** hosts are etcd3 host URLs, `http://h:p` or `https://h:p`. */
  readonly hosts: readonly string[];
  readonly prefix: string;
  readonly timeoutMs: number;
  /** watchBufferBytes bounds one watch's queue (see BackendOptions). */
  readonly watchBufferBytes: number;
  readonly auth?: { readonly username: string; readonly password: string } | undefined;
  readonly credentials?:
    | { readonly rootCertificate: Buffer; readonly privateKey?: Buffer; readonly certChain?: Buffer }
    | undefined;
}

const KNOWN = new Set(['prefix', 'timeoutMs', 'endpoints', 'ca', 'cert', 'key', 'watchBuffer']);

/** parseEtcdUrl reads the settings from an `etcd://` or `etcds://` URL. InvalidArgumentError when malformed. */
export function parseEtcdUrl(url: URL, options: BackendOptions): EtcdSettings {
  const tls = url.protocol === 'etcds:';
  if (!tls && url.protocol !== 'etcd:') throw new InvalidArgumentError(`not an etcd URL: ${url.protocol}//`);
  for (const name of url.searchParams.keys()) {
    if (!KNOWN.has(name))
      throw new InvalidArgumentError(`unknown etcd URL option "${name}" (known: ${[...KNOWN].join(', ')})`);
  }
  const authority = decodeURIComponent(url.host);
  const listed = [authority, url.searchParams.get('endpoints') ?? '']
    .flatMap((list) => list.split(','))
    .map((h) => h.trim())
    .filter((h) => h !== '');
  if (listed.length === 0) throw new InvalidArgumentError('etcd URL names no host');
  const hosts = listed.map((h) => `${tls ? 'https' : 'http'}://${withPort(h)}`);

  const prefix = (url.searchParams.get('prefix') ?? 'baton').replace(/\/+$/, '');
  if (prefix === '' || prefix.includes('\u0000'))
    throw new InvalidArgumentError('etcd URL prefix must be non-empty and have no NUL');

  const timeoutText = url.searchParams.get('timeoutMs');
  const timeoutMs = timeoutText === null ? (options.timeoutMs ?? DEFAULT_TIMEOUT_MS) : Number(timeoutText);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 2 ** 31 - 1)
    throw new InvalidArgumentError(
      `etcd timeoutMs must be an integer from 1 to 2^31-1 (got ${timeoutText ?? timeoutMs})`,
    );

  const bufferText = url.searchParams.get('watchBuffer');
  const watchBufferBytes =
    bufferText === null ? (options.watchBufferBytes ?? DEFAULT_WATCH_BUFFER_BYTES) : Number(bufferText);
  if (!Number.isInteger(watchBufferBytes) || watchBufferBytes < 1 || watchBufferBytes > 2 ** 31 - 1)
    throw new InvalidArgumentError(
      `etcd watchBuffer must be an integer from 1 to 2^31-1 bytes (got ${bufferText ?? watchBufferBytes})`,
    );

  const username = decodeURIComponent(url.username);
  const auth = username ? { username, password: decodeURIComponent(url.password) } : undefined;

  // etcds:// without files uses the system's root certificates.
  const files = ['ca', 'cert', 'key'].filter((k) => url.searchParams.has(k));
  if (!tls && files.length > 0)
    throw new InvalidArgumentError(`etcd URL options ${files.join(', ')} need the etcds:// scheme`);
  const credentials = tls && files.length > 0 ? readCredentials(url.searchParams) : undefined;

  return { hosts, prefix, timeoutMs, watchBufferBytes, auth, credentials };
}

function withPort(host: string): string {
  if (/^\[.*\]$/.test(host) || !host.includes(':')) return `${host}:2379`;
  if (!/^(\[[^\]]+\]|[^:]+):\d{1,5}$/.test(host))
    throw new InvalidArgumentError(`etcd host must be host[:port] (got ${JSON.stringify(host)})`);
  return host;
}

function readCredentials(params: URLSearchParams): NonNullable<EtcdSettings['credentials']> {
  const read = (name: string): Buffer | undefined => {
    const path = params.get(name);
    if (path === null) return undefined;
    try {
      return readFileSync(path);
    } catch (err) {
      throw new InvalidArgumentError(`etcd URL option ${name}: cannot read ${path}`, { cause: err });
    }
  };
  const rootCertificate = read('ca');
  const certChain = read('cert');
  const privateKey = read('key');
  if ((certChain === undefined) !== (privateKey === undefined))
    throw new InvalidArgumentError('etcd URL options cert and key go together');
  if (rootCertificate === undefined)
    throw new InvalidArgumentError('etcd URL options cert and key need ca (the CA that signed the server)');
  return {
    rootCertificate,
    ...(certChain ? { certChain } : {}),
    ...(privateKey ? { privateKey } : {}),
  };
}
