/**
 * Small builders for etcd transaction parts (compares and request ops), so the lock and dict code
 * read as the conditions they check. Enum values are passed as numbers: etcd3 loads its proto
 * with numeric enums on input.
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
  SortOrder,
  SortTarget,
} from 'etcd3';

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
