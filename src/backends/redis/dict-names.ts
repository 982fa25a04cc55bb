/**
 * DictNames: the registry of dict names that lets the Redis backend list dicts without scanning
 * the keyspace. One sorted set per key prefix, `<prefix>dict-names`, holds every dict name
 * written through this prefix (score 0, so ZRANGEBYLEX reads a name prefix in byte order).
 *
 * A client adds a dict's name the first time it writes to it (a ZADD NX sent alongside the write,
 * so it costs no extra round trip) and remembers that it did. In Redis Cluster the set has its own
 * hash slot, so the dict's scripts cannot write it; the client does. Names are never removed — a
 * dict's revision counter and fence table outlive its entries anyway, so the registry grows with
 * the dicts ever written, not with their entries — and dicts with no live entry are skipped by
 * `list` (which reads each candidate's size, purging expired entries as every dict read does).
 *
 * How it fails: `list` rejects with BackendUnavailableError when Redis cannot answer. `register`
 * never rejects: if the name cannot be written, the write it accompanies is not affected, and the
 * next write from this client tries again (until then the dict may be missing from listings).
 */
import type { ListFilter } from '../../list-filter.js';
import type { AnyClient } from './client.js';
import { lexMin } from './entries.js';
import { translateError } from './errors.js';

/** PAGE is how many names `list` reads, and sizes, at once. */
const PAGE = 100;
/** REMEMBERED is how many registered names a client remembers before it starts over. */
const REMEMBERED = 10_000;

/** DictNames registers and lists dict names under one key prefix. */
export class DictNames {
  /** key is the sorted set's name (no hash tag: in a cluster it has a slot of its own). */
  readonly key: string;
  readonly #client: AnyClient;
  readonly #known = new Set<string>();

  constructor(client: AnyClient, prefix: string) {
    this.#client = client;
    this.key = `${prefix}dict-names`;
  }

  /** register makes sure `dict` is in the registry; resolves at once when this client already did it. */
  async register(dict: string): Promise<void> {
    if (this.#known.has(dict)) return;
    try {
      await this.#client.zadd(this.key, 'NX', 0, dict);
    } catch {
      return;
    }
    if (this.#known.size >= REMEMBERED) this.#known.clear();
    this.#known.add(dict);
  }

  /**
   * list names up to `limit` (default 1000) dicts whose names start with `prefix` and that have
   * live entries, in byte order, with their sizes (read by `size`, which may reject as it does).
   */
  async list(
    options: ListFilter,
    size: (dict: string) => Promise<number>,
  ): Promise<Array<{ name: string; size: number }>> {
    const prefix = options.prefix ?? '';
    const limit = options.limit ?? 1000;
    const out: Array<{ name: string; size: number }> = [];
    let after: string | undefined;
    while (out.length < limit) {
      let names: string[];
      try {
        names = await this.#client.zrangebylex(this.key, lexMin(prefix, after), '+', 'LIMIT', 0, PAGE);
      } catch (err) {
        throw translateError(err);
      }
      const matching = names.filter((n) => n.startsWith(prefix));
      const sizes = await Promise.all(matching.map(size));
      matching.forEach((name, i) => {
        if (sizes[i]! > 0 && out.length < limit) out.push({ name, size: sizes[i]! });
      });
      if (names.length < PAGE || matching.length < names.length) break;
      after = names[names.length - 1];
    }
    return out;
  }
}
