/**
 * parseBackendUrl turns a backend URL into a WHATWG URL, accepting the multi-host forms the
 * backends document (`redis+cluster://h1:7000,h2:7001`, `etcd://h1:2379,h2:2379,h3:2379`,
 * `redlock://a:6379,b:6379,c:6379`). WHATWG URL parsing refuses a comma-separated host list with
 * ports, so the colons inside such an authority are percent-encoded first; every backend reads
 * its hosts with `decodeURIComponent(url.host)`. InvalidArgumentError when it is not a URL.
 */
import { InvalidArgumentError } from '../errors.js';

const AUTHORITY = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)(.*)$/i;

/** parseBackendUrl parses a backend URL; InvalidArgumentError when malformed. */
export function parseBackendUrl(text: string): URL {
  if (typeof text !== 'string' || text.length === 0 || text.length > 4096) {
    throw new InvalidArgumentError(
      `not a backend URL: ${JSON.stringify(text)} (try memory:// or redis://host:6379)`,
    );
  }
  const m = AUTHORITY.exec(text);
  let candidate = text;
  if (m?.[2]?.includes(',')) {
    const at = m[2].lastIndexOf('@');
    const userinfo = at >= 0 ? m[2].slice(0, at + 1) : '';
    const hosts = m[2].slice(at + 1).replace(/[:[\]]/g, (c) => encodeURIComponent(c));
    candidate = `${m[1]}${userinfo}${hosts}${m[3]}`;
  }
  try {
    return new URL(candidate);
  } catch {
    throw new InvalidArgumentError(
      `not a backend URL: ${JSON.stringify(text)} (try memory:// or redis://host:6379)`,
    );
  }
}
