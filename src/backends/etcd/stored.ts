/**
 * Stored entry values: what an entry key holds in etcd. An entry without a TTL holds its encoded
 * JSON value as is; an entry with a TTL holds `@<expiresAt> <json>`, so reads can report its
 * expiry without asking for its lease (JSON text never starts with `@`). The version is the
 * key's mod revision.
 */
import type { IKeyValue } from 'etcd3';
import { InvalidArgumentError } from '../../errors.js';
import type { StoredEntry } from '../../shared-state/backend.js';

/** encodeStored renders an entry value, with its expiry (ms since the epoch) when it has a TTL. */
export function encodeStored(value: string, expiresAt?: number | undefined): string {
  return expiresAt === undefined ? value : `@${Math.floor(expiresAt)} ${value}`;
}

/** decodeStored reads an entry key back. */
export function decodeStored(kv: IKeyValue): StoredEntry {
  const text = kv.value.toString('utf8');
  const version = Number(kv.mod_revision);
  if (!text.startsWith('@')) return { value: text, version };
  const space = text.indexOf(' ');
  return { value: text.slice(space + 1), version, expiresAt: Number(text.slice(1, space)) };
}

/** encodeCursor turns the last key of a page into an opaque cursor. */
export function encodeCursor(key: string): string {
  return Buffer.from(key, 'utf8').toString('base64url');
}

/** decodeCursor reads a cursor back; InvalidArgumentError when it is not one this backend made. */
export function decodeCursor(cursor: string): string {
  const key = Buffer.from(cursor, 'base64url').toString('utf8');
  if (key === '' || encodeCursor(key) !== cursor)
    throw new InvalidArgumentError('cursor is not one this dict returned');
  return key;
}
