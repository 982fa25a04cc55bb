/**
 * listDicts: the dicts that have entries, from the registry every dict mutation keeps
 * (`<prefix>/dictnames/<dict>`, written once), with their sizes — no scan of the entries.
 * Dicts that were cleared or whose entries all expired stay registered and are skipped.
 *
 * How it fails: BackendUnavailableError when etcd cannot answer in time.
 */
import type { ListFilter } from '../../list-filter.js';
import type { EtcdClient } from './client.js';
import { prefixEnd } from './keys.js';
import { range } from './txn.js';

/** listDicts names up to `limit` (default 1000) dicts with entries, by name, with their sizes. */
export async function listDicts(
  client: EtcdClient,
  options: ListFilter,
): Promise<Array<{ name: string; size: number }>> {
  const keys = client.keys;
  const from = keys.dictNames(options.prefix ?? '');
  const registered = await client.range('dict list', {
    key: from,
    range_end: prefixEnd(from),
    keys_only: true,
  });
  const names = registered.kvs.map((kv) => keys.dictNameOf(kv.key));
  const out: Array<{ name: string; size: number }> = [];
  const limit = options.limit ?? 1000;
  for (let i = 0; i < names.length && out.length < limit; i += 100) {
    const chunk = names.slice(i, i + 100);
    const res = await client.txn('dict list', 'idempotent', {
      success: chunk.map((name) => {
        const dir = keys.entryDir(name);
        return range(dir, prefixEnd(dir), { count_only: true });
      }),
    });
    chunk.forEach((name, j) => {
      const size = Number(res.responses[j]?.response_range?.count ?? 0);
      if (size > 0 && out.length < limit) out.push({ name, size });
    });
  }
  return out;
}
