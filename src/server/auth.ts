/**
 * Auth: bearer tokens checked against the tokens file, and per-name rights. A presented token
 * is hashed with SHA-256 and compared with every configured hash by `crypto.timingSafeEqual`
 * (all of them, so the time taken does not tell which one matched or how far it got).
 *
 * With auth off (only sensible on loopback), every request is allowed, but by default only when
 * its Host header names a loopback host: this stops a web page from reaching the server through
 * DNS rebinding. How it fails: HttpProblem `unauthorized` (401, with WWW-Authenticate) for a
 * missing or unknown token, `forbidden` (403) for a name or right the token does not have.
 */
import { timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import { decodeFenceScope, FENCE_SCOPE_PATTERN } from '../fence-scope.js';
import { type Right, sha256, type TokenRule } from './auth-file.js';
import { HttpProblem } from './problems.js';

/** AuthOptions: auth off, or bearer tokens from a tokens file. */
export type AuthOptions =
  | {
      readonly mode: 'off';
      /** loopbackHostsOnly refuses requests whose Host is not a loopback name. Default true. */
      readonly loopbackHostsOnly?: boolean;
    }
  | {
      readonly mode: 'tokens';
      readonly tokens: readonly TokenRule[];
      /** publicMetrics serves /metrics without a token. Default false. */
      readonly publicMetrics?: boolean;
    };

/** Access says what a route needs: nothing, any valid token, or a right on the named lock or dict. */
export type Access =
  | { readonly kind: 'public' }
  | { readonly kind: 'metrics' }
  | { readonly kind: 'token' }
  | {
      readonly kind: 'lock' | 'dict';
      readonly right: Right;
      readonly param: string;
      /** prefix makes the checked name `<prefix><param>`: a group's dict, an election's lock. */
      readonly prefix?: string;
    };

/** Principal is who is calling: a token's name, or `anonymous` with auth off. */
export interface Principal {
  readonly name: string;
  /** rule is undefined when auth is off (everything is allowed). */
  readonly rule: TokenRule | undefined;
}

const ANONYMOUS: Principal = Object.freeze({ name: 'anonymous', rule: undefined });
const principals = new WeakMap<Request, Principal>();

/** principalOf is who made `req` (set by `authorize`); anonymous before that. */
export function principalOf(req: Request): Principal {
  return principals.get(req) ?? ANONYMOUS;
}

/**
 * authorize checks `req` against `access`, remembers the caller for principalOf, and returns it.
 * Throws HttpProblem unauthorized/forbidden.
 */
export function authorize(auth: AuthOptions, req: Request, access: Access, params: object): Principal {
  if (auth.mode === 'off') {
    if (auth.loopbackHostsOnly !== false && !isLoopbackHost(req.headers.host)) {
      throw new HttpProblem(
        'forbidden',
        'auth is off, so only loopback Host names are served (configure a tokens file to serve others)',
      );
    }
    return ANONYMOUS;
  }
  if (access.kind === 'public' || (access.kind === 'metrics' && auth.publicMetrics)) return ANONYMOUS;
  const rule = identify(auth.tokens, req.headers.authorization);
  if (!rule) {
    throw new HttpProblem(
      'unauthorized',
      'a valid bearer token is required (Authorization: Bearer <token>)',
      {},
      { 'WWW-Authenticate': 'Bearer realm="baton"' },
    );
  }
  const principal: Principal = { name: rule.name, rule };
  principals.set(req, principal);
  if (access.kind === 'lock' || access.kind === 'dict') {
    const raw = (params as Record<string, unknown>)[access.param];
    const name = typeof raw === 'string' ? (access.prefix ?? '') + raw : raw;
    if (typeof name !== 'string' || !allows(principal, access.kind, name, access.right)) {
      throw new HttpProblem(
        'forbidden',
        `token "${rule.name}" may not ${access.right} ${access.kind} ${JSON.stringify(name)}`,
      );
    }
  }
  return principal;
}

/**
 * authorizeFence checks a fenced write's Baton-Fence-Lock header: the caller needs the `lock`
 * right on that lock (on `<name>` for `semaphore/<name>` and `rwlock/<name>`), since a fence
 * raises what the dict accepts from that lock's holders. A value that is not a fence scope is
 * left to the route's header validation (400). Throws HttpProblem forbidden.
 */
export function authorizeFence(principal: Principal, header: string | string[] | undefined): void {
  if (principal.rule === undefined || typeof header !== 'string' || !FENCE_SCOPE_PATTERN.test(header)) return;
  const { name } = decodeFenceScope(header);
  if (!allows(principal, 'lock', name, 'lock')) {
    throw new HttpProblem(
      'forbidden',
      `token "${principal.name}" may not write fenced by ${JSON.stringify(header)}: it needs the lock right on lock ${JSON.stringify(name)}`,
    );
  }
}

/** allows tells whether `principal` has `right` on the lock or dict `name` (always, with auth off). */
export function allows(principal: Principal, kind: 'lock' | 'dict', name: string, right: Right): boolean {
  const rule = principal.rule;
  if (!rule) return true;
  if (!rule.rights.has(right)) return false;
  return (kind === 'lock' ? rule.locks : rule.dicts).some((re) => re.test(name));
}

/** identify finds the rule whose hash matches the bearer token, comparing against every rule. */
export function identify(tokens: readonly TokenRule[], header: string | undefined): TokenRule | undefined {
  const m = header === undefined ? null : /^Bearer ([\x21-\x7e]{1,1024})$/i.exec(header);
  if (!m?.[1]) return undefined;
  const digest = sha256(m[1]);
  let found: TokenRule | undefined;
  for (const rule of tokens) {
    if (timingSafeEqual(rule.sha256, digest) && found === undefined) found = rule;
  }
  return found;
}

/** isLoopbackHost tells whether a Host header names this machine's loopback interface. */
export function isLoopbackHost(host: string | undefined): boolean {
  if (!host) return false;
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.replace(/:\d+$/, '');
  return isLoopbackAddress(name.toLowerCase());
}

/** isLoopbackAddress tells whether a listen address or host name is loopback only. */
export function isLoopbackAddress(host: string): boolean {
  const h = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  return (
    h === 'localhost' ||
    h.endsWith('.localhost') ||
    h === '::1' ||
    h === '::ffff:127.0.0.1' ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h)
  );
}
