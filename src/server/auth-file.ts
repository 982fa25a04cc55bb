/**
 * The tokens file: who may call the server, on which names, with which rights. JSON:
 *
 * ```json
 * { "tokens": [
 *   { "name": "workers", "token": "sha256:<64 hex>", "rights": ["read", "write", "lock"],
 *     "locks": ["jobs-*"], "dicts": ["jobs", "stats-*"] },
 *   { "name": "dashboard", "token": "a-raw-secret-of-16+-chars", "rights": ["read"],
 *     "locks": ["*"], "dicts": ["*"] } ] }
 * ```
 *
 * `token` is the raw bearer token (at least 16 characters) or `sha256:` and the hex SHA-256 of
 * it, so the file need not hold secrets. Patterns are names where `*` matches any run of
 * characters. Rights: `read` (inspect and list locks; read, list and watch dicts), `write`
 * (change dicts), `lock` (acquire, extend, release, and write dicts fenced by that lock). How it fails: InvalidArgumentError naming
 * the bad entry, for a file that is not valid JSON, has unknown fields, or repeats a name or token.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { InvalidArgumentError } from '../index.js';

/** Right is one permission a token may have. */
export type Right = 'read' | 'write' | 'lock';

/** TokenRule is one loaded token: the SHA-256 of the secret, its rights and name patterns. */
export interface TokenRule {
  readonly name: string;
  readonly sha256: Buffer;
  readonly rights: ReadonlySet<Right>;
  readonly locks: readonly RegExp[];
  readonly dicts: readonly RegExp[];
}

const Pattern = z.string().regex(/^[A-Za-z0-9._:*-]{1,200}$/, 'must be a name, with * as a wildcard');
const TokenEntry = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9._:-]{1,100}$/, 'must be 1-100 characters of A-Z a-z 0-9 . _ : -'),
  token: z
    .string()
    .regex(
      /^(sha256:[0-9a-fA-F]{64}|[\x21-\x7e]{16,1024})$/,
      'must be sha256:<64 hex digits> or a raw token of 16-1024 visible ASCII characters',
    ),
  rights: z.array(z.enum(['read', 'write', 'lock'])).min(1),
  locks: z.array(Pattern).default([]),
  dicts: z.array(Pattern).default([]),
});
const TokenFile = z.strictObject({ tokens: z.array(TokenEntry).min(1) });

/** sha256 hashes a token the way the file and the server compare it. */
export function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** parseTokenFile reads the JSON text of a tokens file. InvalidArgumentError when it is malformed. */
export function parseTokenFile(text: string): TokenRule[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new InvalidArgumentError(`tokens file is not valid JSON: ${(err as Error).message}`);
  }
  const parsed = TokenFile.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const where = first ? first.path.join('.') : '';
    throw new InvalidArgumentError(`tokens file: ${where ? `${where}: ` : ''}${first?.message ?? 'invalid'}`);
  }
  const names = new Set<string>();
  const hashes = new Set<string>();
  return parsed.data.tokens.map((t) => {
    const hash = t.token.startsWith('sha256:') ? Buffer.from(t.token.slice(7), 'hex') : sha256(t.token);
    const hex = hash.toString('hex');
    if (names.has(t.name)) throw new InvalidArgumentError(`tokens file: name "${t.name}" appears twice`);
    if (hashes.has(hex)) throw new InvalidArgumentError(`tokens file: token of "${t.name}" appears twice`);
    names.add(t.name);
    hashes.add(hex);
    return {
      name: t.name,
      sha256: hash,
      rights: new Set(t.rights),
      locks: t.locks.map(compilePattern),
      dicts: t.dicts.map(compilePattern),
    };
  });
}

/** loadTokenFile reads and parses a tokens file. InvalidArgumentError when unreadable or malformed. */
export async function loadTokenFile(path: string): Promise<TokenRule[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new InvalidArgumentError(`cannot read tokens file ${path}: ${(err as Error).message}`);
  }
  return parseTokenFile(text);
}

/** compilePattern turns `jobs-*` into an anchored RegExp; `*` is the only wildcard. */
export function compilePattern(pattern: string): RegExp {
  const body = pattern
    .split('*')
    .map((part) => part.replace(/[.\\^$+?()[\]{}|-]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`);
}
