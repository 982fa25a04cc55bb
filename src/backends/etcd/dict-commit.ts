/**
 * commitDict: every dict mutation is one etcd transaction built here, so that its conditions,
 * its version bump and its fence check are applied atomically with its writes.
 *
 * Compares (all must hold):
 * - per checked entry: its mod revision equals the expected version (0 = absent);
 * - with a fence F: the fence scope's last-granted record (`P/fences/<lock>` or
 *   `P/poolfences/<ns>/<name>`, holder.ts / pool-record.ts) shows that F was issued. The record
 *   holds a zero-padded fence V (a grant after waiting: issued iff V >= F, one value compare
 *   `> padFence(F - 1)`) or '' (a grant with no other contender, whose fence is the record's own
 *   mod revision: issued iff value = '' and mod revision > F - 1). etcd has no OR of compares, so
 *   the commit guesses the form (locks: '', usually uncontended; pools: padded) and, when the
 *   failure reads show the other form with F issued, runs once more with that form.
 *   (`F <= the current revision` would prove nothing: revisions grow with every write.)
 * - with a fence: no key `P/dicts/<d>/f/<lock>/<n>` with n > fence exists (accepted if >= the
 *   highest accepted, per dict per lock);
 * - with a fence token (the ownership guard): the token's lock key exists with create revision
 *   = fence, and every contender of that lock has a create revision >= fence — i.e. the token
 *   is still the holder.
 * Success: the writes, then (always, or only if a given key existed) the version marker put,
 * the dict's registration, and the fence record (replacing lower ones).
 * Failure: reads of every checked entry and of the fence and lock state, so the cause is known
 * exactly from the same snapshot the compares saw.
 *
 * How it fails: StaleFenceError for a fence never issued (`unissued_fence`), a stale fence or a lost lock; a failed entry check is
 * returned as `conflict` (the caller turns it into VersionConflictError or retries); etcd
 * failures as translated by the client.
 */
import { randomBytes } from 'node:crypto';
import {
  CompareResult,
  CompareTarget,
  type ICompare,
  type IKeyValue,
  type IRequestOp,
  type IResponseOp,
} from 'etcd3';
import { BackendUnavailableError, StaleFenceError, VersionConflictError } from '../../errors.js';
import type { FenceCheck } from '../../shared-state/backend.js';
import type { EtcdClient, Retry } from './client.js';
import { decodeFenceRecord, FENCE_IS_MOD_REVISION } from './fence-record.js';
import { padFence, prefixEnd } from './keys.js';
import {
  type Answers,
  byCreate,
  createIs,
  del,
  get,
  kvsOf,
  modIs,
  nested,
  put,
  range,
  revisionOf,
  Txn,
  valueIs,
} from './txn.js';

/** EntryCheck expects entry `key` to be at `version` (0 = absent). */
export interface EntryCheck {
  readonly key: string;
  readonly version: number;
}

/** CommitSpec is one mutation of one dict. */
export interface CommitSpec {
  readonly dict: string;
  readonly checks: readonly EntryCheck[];
  readonly writes: readonly IRequestOp[];
  /** bump: version the dict always, only if this key existed before the writes, or never (a pure check). */
  readonly bump: 'always' | 'never' | { readonly ifExisted: Buffer };
  readonly fence?: FenceCheck | undefined;
  /** fenceFirst reports a stale fence before an entry conflict (setIfAbsent, pop); default: entries first. */
  readonly fenceFirst?: boolean;
  readonly retry: Retry;
  readonly what: string;
}

/** CommitResult is a committed mutation (with the answers of its writes), or the first entry check that failed (with what etcd holds). */
export type CommitResult =
  | { readonly ok: true; readonly revision: number; readonly writes: readonly IResponseOp[] }
  | {
      readonly ok: false;
      readonly conflict: EntryCheck & { readonly actual: number; readonly kv?: IKeyValue };
    };

/** commitDict runs a CommitSpec as one transaction (see the file comment). */
export async function commitDict(client: EtcdClient, spec: CommitSpec): Promise<CommitResult> {
  let form: RecordForm = spec.fence && spec.fence.scope.kind !== 'lock' ? 'padded' : 'modrev';
  for (let attempt = 1; ; attempt++) {
    try {
      return await commitOnce(client, spec, form);
    } catch (err) {
      if (!(err instanceof OtherForm) || attempt >= 3) throw err;
      form = err.form;
    }
  }
}

/** RecordForm is how a fence record holds the last granted fence: its mod revision ('') or a padded fence. */
type RecordForm = 'modrev' | 'padded';

/** OtherForm is thrown by commitOnce when the record is in the form it did not compare for (see the file comment). */
class OtherForm extends Error {
  constructor(readonly form: RecordForm) {
    super(`fence record is in the ${form} form`);
  }
}

async function commitOnce(client: EtcdClient, spec: CommitSpec, form: RecordForm): Promise<CommitResult> {
  const keys = client.keys;
  const entryKeys = spec.checks.map((c) => keys.entryKey(spec.dict, c.key));
  const fence = fenceParts(client, spec.dict, spec.fence, form);
  const after: IRequestOp[] = [
    put(keys.versionKey(spec.dict), ''),
    nested({
      compare: [createIs(keys.dictNameKey(spec.dict), 'equal', 0)],
      // The registration's value is the dict's history id (a wiped etcd loses it: a new history).
      success: [put(keys.dictNameKey(spec.dict), randomBytes(9).toString('base64url'))],
    }),
    ...fence.record,
  ];
  const bump =
    spec.bump === 'always'
      ? after
      : spec.bump === 'never'
        ? [get(keys.versionKey(spec.dict))]
        : [nested({ compare: [createIs(spec.bump.ifExisted, 'greater', 0)], success: after })];
  const commit = new Txn({
    compare: [...spec.checks.map((c, i) => modIs(entryKeys[i]!, c.version)), ...fence.compares],
    success: { writes: spec.writes, bump },
    failure: { entries: entryKeys.map((k) => get(k)), ...fence.reads },
  });
  const answer = commit.answer(await client.txn(spec.what, spec.retry, commit.request));
  if (answer.succeeded) {
    const { writes, bump: bumped } = answer.got;
    const revision = spec.bump === 'never' ? revisionOf(kvsOf(bumped[0])[0]?.mod_revision) : answer.revision;
    return { ok: true, revision, writes };
  }
  const conflicts = spec.checks.flatMap((check, i) => {
    const kv = kvsOf(answer.got.entries[i])[0];
    const actual = revisionOf(kv?.mod_revision);
    return actual === check.version ? [] : [{ ...check, actual, ...(kv ? { kv } : {}) }];
  });
  const stale = fence.explain(answer.got);
  if (stale instanceof OtherForm) throw stale;
  if (conflicts[0] && !(spec.fenceFirst && stale)) return { ok: false, conflict: conflicts[0] };
  if (stale) throw stale;
  throw new BackendUnavailableError(`etcd ${spec.what} failed a condition that its reads do not show; retry`);
}

/**
 * FenceReads are the failure reads that explain a fence refusal, by name (empty when not read):
 * a key of a higher accepted fence, the issued-fence record, and the token's lock key and the
 * oldest contender of that lock (the ownership guard).
 */
type FenceReads = {
  readonly higher: IRequestOp[];
  readonly issued: IRequestOp[];
  readonly own: IRequestOp[];
  readonly oldest: IRequestOp[];
};

interface FenceParts {
  readonly compares: ReturnType<typeof createIs>[];
  readonly record: IRequestOp[];
  readonly reads: FenceReads;
  /**
   * explain names the refusal from the failure reads, if the fence caused it; OtherForm when the
   * fence was issued but the record is in the form the commit did not compare for.
   */
  explain(got: Answers<FenceReads>): StaleFenceError | OtherForm | undefined;
}

function fenceParts(
  client: EtcdClient,
  dict: string,
  fence: FenceCheck | undefined,
  form: RecordForm,
): FenceParts {
  if (!fence) {
    return {
      compares: [],
      record: [],
      reads: { higher: [], issued: [], own: [], oldest: [] },
      explain: () => undefined,
    };
  }
  const keys = client.keys;
  const dir = keys.fenceDir(dict, fence.lock);
  const mine = keys.fenceKey(dict, fence.lock, fence.fence);
  const higher = keys.fenceKey(dict, fence.lock, fence.fence + 1);
  const compares: ICompare[] = [createIs(higher, 'equal', 0, prefixEnd(dir))];
  const reads: FenceReads = {
    higher: [range(higher, prefixEnd(dir), { limit: 1, keys_only: true })],
    issued: [],
    own: [],
    oldest: [],
  };
  const issued = keys.issuedFenceRecord(fence.scope);
  const checkIssued = !fence.issuedChecked;
  if (checkIssued) {
    if (form === 'modrev')
      compares.push(valueIs(issued, FENCE_IS_MOD_REVISION), modAbove(issued, fence.fence - 1));
    else compares.push(valueAbove(issued, padFence(fence.fence - 1)));
    reads.issued.push(get(issued));
  }
  const record = [
    nested({
      compare: [createIs(mine, 'equal', 0)],
      success: [del(dir, { rangeEnd: mine }), put(mine, '')],
    }),
  ];
  const token = fence.token;
  if (token !== undefined) {
    const lockKey = keys.lockKey(fence.lock, token);
    const lockDir = keys.lockDir(fence.lock);
    compares.push(
      createIs(lockKey, 'equal', fence.fence),
      createIs(lockDir, 'greater', fence.fence - 1, prefixEnd(lockDir)),
    );
    reads.own.push(get(lockKey));
    reads.oldest.push(range(lockDir, prefixEnd(lockDir), { ...byCreate('asc'), keys_only: true }));
  }
  return {
    compares,
    record,
    reads,
    explain(got) {
      if (checkIssued) {
        const rec = kvsOf(got.issued[0])[0];
        if (decodeFenceRecord(rec) < fence.fence)
          return new StaleFenceError(fence.lock, fence.fence, 'unissued_fence');
        const shown: RecordForm = rec?.value.toString('utf8') === FENCE_IS_MOD_REVISION ? 'modrev' : 'padded';
        if (shown !== form) return new OtherForm(shown);
      }
      if (kvsOf(got.higher[0]).length > 0) return new StaleFenceError(fence.lock, fence.fence, 'newer_fence');
      if (token === undefined) return undefined;
      const own = kvsOf(got.own[0])[0];
      const oldest = kvsOf(got.oldest[0])[0];
      const holds =
        own !== undefined &&
        revisionOf(own.create_revision) === fence.fence &&
        oldest?.key.equals(own.key) === true;
      return holds ? undefined : new StaleFenceError(fence.lock, fence.fence, 'not_holder');
    },
  };
}

/** modAbove compares a key's mod revision: greater than `revision` (an absent key has 0). */
function modAbove(key: Buffer, revision: number): ICompare {
  return { key, target: CompareTarget.Mod, result: CompareResult.Greater, mod_revision: revision };
}

/** valueAbove compares a key's value bytes: greater than `value` (an absent key fails). */
function valueAbove(key: Buffer, value: string): ICompare {
  return { key, target: CompareTarget.Value, result: CompareResult.Greater, value: Buffer.from(value) };
}

/** conflictError turns a failed entry check into the VersionConflictError the contract names. */
export function conflictError(c: EntryCheck & { readonly actual: number }): VersionConflictError {
  return new VersionConflictError(c.key, c.version, c.actual);
}

/** contentionPause backs off after a lost compare-and-set race, longer as races repeat (at most 100 ms). */
export function contentionPause(attempt: number): Promise<void> {
  const cap = Math.min(100, 2 ** Math.min(attempt, 7));
  return new Promise((resolve) => setTimeout(resolve, Math.random() * cap));
}
