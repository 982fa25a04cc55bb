/**
 * Encodings shared by the dict scripts and their TypeScript side: stored entries
 * (`"<version>:<expiresAt|>:<json>"`), change-stream fields, and list bounds (cursors: ../common/cursor.ts).
 */
import { BackendUnavailableError } from '../../errors.js';
import type { StoredChange, StoredEntry } from '../../shared-state/backend.js';
import { byteOrder } from '../common/byte-order.js';

/** parseEntry decodes a stored entry; BackendUnavailableError for one baton did not write (a foreign key under the prefix). */
export function parseEntry(packed: string): StoredEntry {
  const a = packed.indexOf(':');
  const b = packed.indexOf(':', a + 1);
  if (a < 0 || b < 0)
    throw new BackendUnavailableError(`malformed stored entry ${JSON.stringify(packed.slice(0, 40))}`);
  const version = Number(packed.slice(0, a));
  const value = packed.slice(b + 1);
  const expires = packed.slice(a + 1, b);
  return expires === '' ? { value, version } : { value, version, expiresAt: Number(expires) };
}

/**
 * parseChanges decodes the fields of one change-stream entry: `s<key>` / `t<key>` → set (the
 * latter had a TTL), `d<key>` → delete, `e<key>` → expire, `D` → NUL-joined keys deleted by clear.
 * `sawTtl` reports whether a set with a TTL is among them.
 */
export function parseChanges(fields: readonly string[]): { changes: StoredChange[]; sawTtl: boolean } {
  const changes: StoredChange[] = [];
  let sawTtl = false;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const field = fields[i]!;
    const value = fields[i + 1]!;
    const kind = field[0];
    const key = field.slice(1);
    switch (kind) {
      case 't':
        sawTtl = true;
        changes.push({ type: 'set', key, value });
        break;
      case 's':
        changes.push({ type: 'set', key, value });
        break;
      case 'd':
        changes.push({ type: 'delete', key });
        break;
      case 'e':
        changes.push({ type: 'expire', key });
        break;
      case 'D':
        for (const k of value.split('\u0000')) changes.push({ type: 'delete', key: k });
        break;
    }
  }
  return { changes, sawTtl };
}

/** lexMin is the ZRANGEBYLEX lower bound of a page: at `prefix`, or just after `after` when that is later (byte order). */
export function lexMin(prefix: string, after: string | undefined): string {
  if (after === undefined || byteOrder(after, prefix) < 0) return `[${prefix}`;
  return `(${after}`;
}
