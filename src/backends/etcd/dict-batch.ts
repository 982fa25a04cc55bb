/**
 * batchDict: an all-or-nothing batch as one etcd transaction, all its changes at one revision.
 *
 * A batch with a set always changes the dict. A batch of deletes only changes it if one of its
 * keys exists, so it reads them first and commits on exactly that state — or, if none exists,
 * only checks its conditions and fence and returns the dict's current version (no new version,
 * as in the memory backend); if the keys changed in between, it reads again.
 *
 * How it fails: VersionConflictError when an `ifVersion` does not hold (nothing applied);
 * StaleFenceError; BackendUnavailableError.
 */
import { VersionConflictError } from '../../errors.js';
import type { BatchOp, FenceCheck } from '../../shared-state/backend.js';
import type { EtcdClient } from './client.js';
import { commitDict, conflictError, contentionPause, type EntryCheck } from './dict-commit.js';
import { encodeStored } from './stored.js';
import type { TtlBuckets } from './ttl-buckets.js';
import { del, get, kvsOf, put, revisionOf } from './txn.js';

/** batchDict applies `ops` to `dict` as one version and resolves to it. */
export function batchDict(
  client: EtcdClient,
  buckets: TtlBuckets,
  dict: string,
  ops: readonly BatchOp[],
  fence: FenceCheck | undefined,
): Promise<number> {
  const checks: EntryCheck[] = ops.flatMap((op) =>
    op.ifVersion === undefined ? [] : [{ key: op.key, version: op.ifVersion }],
  );
  if (ops.every((op) => op.op === 'delete')) return deleteOnly(client, dict, ops, checks, fence);
  const ttls = ops.map((op) => (op.op === 'set' ? op.ttlMs : undefined));
  return buckets.withLease(ttls, async (leases) => {
    const writes = ops.map((op, i) => {
      const key = client.keys.entryKey(dict, op.key);
      return op.op === 'set'
        ? put(key, encodeStored(op.value, leases[i]?.expiresAt), leases[i]?.leaseId)
        : del(key);
    });
    const r = await commitDict(client, {
      dict,
      checks,
      writes,
      bump: 'always',
      fence,
      retry: 'unsent',
      what: 'dict batch',
    });
    if (!r.ok) throw conflictError(r.conflict);
    return r.revision;
  });
}

async function deleteOnly(
  client: EtcdClient,
  dict: string,
  ops: readonly BatchOp[],
  checks: readonly EntryCheck[],
  fence: FenceCheck | undefined,
): Promise<number> {
  const keys = ops.map((op) => client.keys.entryKey(dict, op.key));
  for (let attempt = 1; ; attempt++) {
    const read = await client.txn('dict batch', 'idempotent', { success: keys.map((k) => get(k)) });
    const seen = ops.map((op, i) => ({
      key: op.key,
      version: revisionOf(kvsOf(read.responses[i])[0]?.mod_revision),
    }));
    for (const check of checks) {
      const actual = seen.find((s) => s.key === check.key)?.version ?? 0;
      if (actual !== check.version) throw new VersionConflictError(check.key, check.version, actual);
    }
    const any = seen.some((s) => s.version > 0);
    const r = await commitDict(client, {
      dict,
      checks: seen,
      writes: any ? keys.map((k) => del(k)) : [],
      bump: any ? 'always' : 'never',
      fence,
      retry: 'unsent',
      what: 'dict batch',
    });
    if (r.ok) return r.revision;
    await contentionPause(attempt); // changed between the read and the commit: read again
  }
}
