/**
 * Stored entry values: what an entry key holds in etcd. An entry without a TTL holds its encoded
 * JSON value as is; an entry with a TTL holds `@<expiresAt> <json>`, so reads can report its
 * expiry without asking for its lease (JSON text never starts with `@`). The version is the
 * key's mod revision.
 */
import type { IKeyValue } from 'etcd3';
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
