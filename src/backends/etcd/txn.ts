/**
 * Small builders for etcd transaction parts (compares and request ops), so the lock and dict code
 * read as the conditions they check, and `Txn`, a transaction whose ops are named so its answer
 * is read by name, never by positions that mirror how it was built. Enum values are passed as
 * numbers: etcd3 loads its proto with numeric enums on input.
 *
 * How it fails: `Txn.answer` throws BackendUnavailableError when etcd answers a nested
 * transaction without its response; `Txn.got` also when a transaction without compares failed.
 */
import {
  CompareResult,
  CompareTarget,
  type ICompare,
  type IKeyValue,
  type IRangeRequest,
  type IRequestOp,
  type IResponseOp,
  type ITxnRequest,
  type ITxnResponse,
  SortOrder,
  SortTarget,
} from 'etcd3';
import { BackendUnavailableError } from '../../errors.js';

/** createIs compares a key's create revision (0 = absent). With `rangeEnd`, every key in [key, rangeEnd). */
export function createIs(
  key: Buffer,
  result: 'equal' | 'greater' | 'less',
  revision: number,
  rangeEnd?: Buffer,
): ICompare {
  return {
    key,
    target: CompareTarget.Create,
    result: RESULTS[result],
    create_revision: revision,
    ...(rangeEnd ? { range_end: rangeEnd } : {}),
  };
}

/** modIs compares a key's mod revision for equality (an absent key has mod revision 0). */
export function modIs(key: Buffer, revision: number): ICompare {
  return { key, target: CompareTarget.Mod, result: CompareResult.Equal, mod_revision: revision };
}

/** valueIs compares a key's value for byte equality (an absent key never compares equal). */
export function valueIs(key: Buffer, value: string): ICompare {
  return { key, target: CompareTarget.Value, result: CompareResult.Equal, value: Buffer.from(value) };
}

const RESULTS = {
  equal: CompareResult.Equal,
  greater: CompareResult.Greater,
  less: CompareResult.Less,
} as const;

/** get reads one key. */
export function get(key: Buffer): IRequestOp {
  return { request_range: { key } };
}

/** range reads [key, rangeEnd) with the given options. */
export function range(
  key: Buffer,
  rangeEnd: Buffer,
  options: Omit<IRangeRequest, 'key' | 'range_end'> = {},
): IRequestOp {
  return { request_range: { key, range_end: rangeEnd, ...options } };
}

/** byCreate sorts a range by create revision; limit 1 gives the oldest ('asc') or newest ('desc'). */
export function byCreate(order: 'asc' | 'desc', limit = 1): Omit<IRangeRequest, 'key' | 'range_end'> {
  return {
    sort_target: SortTarget.Create,
    sort_order: order === 'asc' ? SortOrder.Ascend : SortOrder.Descend,
    limit,
  };
}

/** put writes one key, on `lease` when given ('0' or undefined: no lease). */
export function put(key: Buffer, value: Buffer | string, lease?: string): IRequestOp {
  return {
    request_put: {
      key,
      value: typeof value === 'string' ? Buffer.from(value) : value,
      ...(lease && lease !== '0' ? { lease } : {}),
    },
  };
}

/** putKeepLease rewrites a key's value and keeps its current lease (the key must exist). */
export function putKeepLease(key: Buffer, value: string): IRequestOp {
  return { request_put: { key, value: Buffer.from(value), ignore_lease: true } };
}

/** del deletes one key (with `prevKv`, the response carries what was deleted) or the range [key, rangeEnd). */
export function del(key: Buffer, options: { prevKv?: boolean; rangeEnd?: Buffer } = {}): IRequestOp {
  return {
    request_delete_range: {
      key,
      ...(options.rangeEnd ? { range_end: options.rangeEnd } : {}),
      ...(options.prevKv ? { prev_kv: true } : {}),
    },
  };
}

/** nested is a transaction inside a transaction (its compares are evaluated before the outer writes). */
export function nested(request: ITxnRequest): IRequestOp {
  return { request_txn: request };
}

/** kvsOf is the key-values of a range response op. */
export function kvsOf(op: IResponseOp | undefined): IKeyValue[] {
  return op?.response_range?.kvs ?? [];
}

/** revisionOf reads an int64 revision field (etcd3 gives strings). */
export function revisionOf(text: string | number | undefined): number {
  return text === undefined ? 0 : Number(text);
}

/**
 * Slot is one named part of a transaction branch: one op, a list of ops (its length known only at
 * build time), or a nested transaction whose own branches are named in turn.
 */
export type Slot = IRequestOp | readonly IRequestOp[] | Txn<Slots, Slots>;

/** Slots names the parts of one branch of a transaction, in the order they run. */
export type Slots = { readonly [name: string]: Slot };

/** SlotAnswer is what one slot answers: its op's response, its ops' responses, or the nested answer. */
export type SlotAnswer<S extends Slot> =
  S extends Txn<infer T, infer F>
    ? TxnAnswer<T, F>
    : S extends readonly IRequestOp[]
      ? IResponseOp[]
      : IResponseOp | undefined;

/** Answers maps each slot of a branch to its answer. */
export type Answers<S extends Slots> = { readonly [K in keyof S]: SlotAnswer<S[K]> };

/** TxnAnswer is a transaction's answer read by slot name: the branch that ran, and the revision read at. */
export type TxnAnswer<T extends Slots, F extends Slots> =
  | { readonly succeeded: true; readonly revision: number; readonly got: Answers<T> }
  | { readonly succeeded: false; readonly revision: number; readonly got: Answers<F> };

/**
 * Txn is a transaction whose ops are named, so its answer is read by name (`answer(res).got.x`)
 * rather than by positions that must mirror how it was built. The slots of a branch run in the
 * order they are written; a nested transaction's compares are evaluated with the outer ones.
 */
export class Txn<T extends Slots, F extends Slots = Record<never, never>> {
  readonly compare: readonly ICompare[];
  readonly success: T;
  readonly failure: F;

  constructor(spec: { compare?: readonly ICompare[]; success: T; failure?: F }) {
    this.compare = spec.compare ?? [];
    this.success = spec.success;
    this.failure = spec.failure ?? ({} as F);
  }

  /** request is the etcd transaction this describes. */
  get request(): ITxnRequest {
    return { compare: [...this.compare], success: opsOf(this.success), failure: opsOf(this.failure) };
  }

  /** answer reads a response to `request` by slot name (`revision`: the header's, 0 for a nested one). */
  answer(res: ITxnResponse): TxnAnswer<T, F> {
    const revision = revisionOf(res.header?.revision);
    return res.succeeded
      ? { succeeded: true, revision, got: answersOf(this.success, res.responses) }
      : { succeeded: false, revision, got: answersOf(this.failure, res.responses) };
  }

  /** got reads the answer of a transaction without compares, which always takes its success branch. */
  got(res: ITxnResponse): Answers<T> {
    const answer = this.answer(res);
    if (!answer.succeeded)
      throw new BackendUnavailableError('etcd failed a transaction that has no condition');
    return answer.got;
  }
}

function opsOf(slots: Slots): IRequestOp[] {
  return Object.values(slots).flatMap((slot) =>
    slot instanceof Txn ? [nested(slot.request)] : Array.isArray(slot) ? slot : [slot as IRequestOp],
  );
}

function answersOf<S extends Slots>(slots: S, responses: readonly IResponseOp[]): Answers<S> {
  const got: Record<string, unknown> = {};
  let at = 0;
  for (const [name, slot] of Object.entries(slots)) {
    if (slot instanceof Txn) {
      const inner = responses[at++]?.response_txn;
      if (!inner)
        throw new BackendUnavailableError('etcd answered a nested transaction without its response');
      got[name] = slot.answer(inner);
    } else if (Array.isArray(slot)) {
      got[name] = responses.slice(at, at + slot.length);
      at += slot.length;
    } else got[name] = responses[at++];
  }
  return got as Answers<S>;
}
