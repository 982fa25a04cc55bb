/**
 * HttpDicts: the dict contract against a baton server. Encoded values travel as they are (the
 * JSON text is the request body, or is spliced into one), versions as ETags, conditions as
 * If-Match / If-None-Match: *, fences as the Baton-Fence-Lock / Baton-Fence / Baton-Lock-Token
 * headers (the lease token translated to the server's, see tokens.ts).
 *
 * Where the REST answer carries less than the contract (setIfAbsent and pop answer the value
 * only, because SharedDict's public methods do), the missing version is reported as 0 and
 * `created` as false; SharedDict, the only caller, reads neither.
 *
 * How it fails: the typed error of the server's problem+json (VersionConflictError,
 * StaleFenceError, TypeMismatchError, HistoryCompactedError…); BackendUnavailableError when the
 * server cannot be reached in time.
 */
import type { ListFilter } from '../../list-filter.js';
import type * as C from '../../shared-state/backend.js';
import type { HttpClient } from './client.js';
import type { TokenMap } from './tokens.js';
import { watchStream } from './watch.js';

/** HttpDicts implements DictBackend over REST. */
export class HttpDicts implements C.DictBackend {
  readonly capabilities: C.DictCapabilities;
  readonly #client: HttpClient;
  readonly #tokens: TokenMap;
  readonly #keepAliveMs: number;

  constructor(client: HttpClient, capabilities: C.DictCapabilities, keepAliveMs: number, tokens: TokenMap) {
    this.#client = client;
    this.capabilities = capabilities;
    this.#keepAliveMs = keepAliveMs;
    this.#tokens = tokens;
  }

  async get(dict: string, key: string): Promise<C.StoredEntry | undefined> {
    const r = await this.#client.call('GET', keyPath(dict, key), { ok: [404] });
    if (r.status === 404) return undefined;
    const expires = r.headers['baton-expires-at'];
    return {
      value: r.text,
      version: versionOf(r.headers.etag),
      ...(typeof expires === 'string' ? { expiresAt: Number(expires) } : {}),
    };
  }

  async set(dict: string, key: string, value: string, options: C.SetOptions): Promise<number> {
    const headers = this.#fenceHeaders(options.fence);
    if (options.ifVersion === 0) headers['if-none-match'] = '*';
    else if (options.ifVersion !== undefined) headers['if-match'] = `"${options.ifVersion}"`;
    const q = options.ttlMs !== undefined ? `?ttlMs=${options.ttlMs}` : '';
    const r = await this.#client.json<{ version: number }>('PUT', keyPath(dict, key) + q, {
      body: value,
      headers,
    });
    return r.version;
  }

  async setIfAbsent(
    dict: string,
    key: string,
    value: string,
    options: C.SetIfAbsentOptions,
  ): Promise<C.SetIfAbsentResult> {
    const ttl = options.ttlMs !== undefined ? `,"ttlMs":${options.ttlMs}` : '';
    const r = await this.#client.call('POST', `${keyPath(dict, key)}/set-if-absent`, {
      body: `{"value":${value}${ttl}}`,
      headers: this.#fenceHeaders(options.fence),
    });
    return { entry: { value: valueText(r.text), version: 0 }, created: false };
  }

  async delete(dict: string, key: string, options: C.DeleteOptions): Promise<boolean> {
    const headers = this.#fenceHeaders(options.fence);
    if (options.ifVersion !== undefined) headers['if-match'] = `"${options.ifVersion}"`;
    const r = await this.#client.call('DELETE', keyPath(dict, key), { headers, ok: [404] });
    return r.status !== 404;
  }

  async pop(dict: string, key: string, options: C.WriteOptions): Promise<C.StoredEntry | undefined> {
    const r = await this.#client.call('POST', `${keyPath(dict, key)}/pop`, {
      headers: this.#fenceHeaders(options.fence),
      ok: [404],
    });
    return r.status === 404 ? undefined : { value: valueText(r.text), version: 0 };
  }

  async incr(dict: string, key: string, by: number, options: C.WriteOptions): Promise<C.IncrResult> {
    const r = await this.#client.json<{ value: number; version: number }>(
      'POST',
      `${keyPath(dict, key)}/incr`,
      {
        body: JSON.stringify({ by }),
        headers: this.#fenceHeaders(options.fence),
      },
    );
    return { value: r.value, version: r.version };
  }

  async batch(dict: string, ops: readonly C.BatchOp[], options: C.WriteOptions): Promise<number> {
    const parts = ops.map((op) => {
      const head = `"op":"${op.op}","key":${JSON.stringify(op.key)}`;
      const ifv = op.ifVersion !== undefined ? `,"ifVersion":${op.ifVersion}` : '';
      if (op.op === 'delete') return `{${head}${ifv}}`;
      const ttl = op.ttlMs !== undefined ? `,"ttlMs":${op.ttlMs}` : '';
      return `{${head},"value":${op.value}${ifv}${ttl}}`;
    });
    const r = await this.#client.json<{ version: number }>('POST', `${dictPath(dict)}/batch`, {
      body: `{"ops":[${parts.join(',')}]}`,
      headers: this.#fenceHeaders(options.fence),
    });
    return r.version;
  }

  async list(dict: string, options: C.ListOptions): Promise<C.ListPage> {
    const q = new URLSearchParams();
    if (options.prefix) q.set('prefix', options.prefix);
    if (options.limit !== undefined) q.set('limit', String(options.limit));
    if (options.cursor !== undefined) q.set('cursor', options.cursor);
    const page = await this.#client.json<{
      entries: Array<{ key: string; value: unknown; version: number }>;
      cursor?: string;
      version: number;
      history?: string;
    }>('GET', `${dictPath(dict)}?${q}`);
    return {
      entries: page.entries.map((e) => ({
        key: e.key,
        entry: { value: JSON.stringify(e.value), version: e.version },
      })),
      cursor: page.cursor,
      version: page.version,
      history: typeof page.history === 'string' ? page.history : undefined,
    };
  }

  async size(dict: string): Promise<number> {
    return (await this.#info(dict)).size;
  }

  async clear(dict: string): Promise<void> {
    await this.#client.call('DELETE', dictPath(dict));
  }

  async version(dict: string): Promise<number> {
    return (await this.#info(dict)).version;
  }

  watch(dict: string, request: C.WatchRequest): AsyncIterable<C.ChangeBatch> {
    return watchStream(this.#client, dictPath(dict), request, {
      idleMs: 2 * this.#keepAliveMs + this.#client.timeoutMs,
      currentVersion: () => this.version(dict),
    });
  }

  async listDicts(options: ListFilter = {}): Promise<Array<{ name: string; size: number }>> {
    const q = new URLSearchParams();
    if (options.prefix) q.set('prefix', options.prefix);
    if (options.limit !== undefined) q.set('limit', String(options.limit));
    return (
      await this.#client.json<{ dicts: Array<{ name: string; size: number }> }>('GET', `/v1/dicts?${q}`)
    ).dicts;
  }

  async ping(): Promise<void> {
    await this.#client.call('GET', '/readyz');
  }

  async close(): Promise<void> {
    // The client (shared with the locks) is closed by the opener.
  }

  #info(dict: string): Promise<{ size: number; version: number }> {
    return this.#client.json('GET', `${dictPath(dict)}/info`);
  }

  #fenceHeaders(fence: C.FenceCheck | undefined): Record<string, string> {
    if (!fence) return {};
    const h: Record<string, string> = { 'baton-fence-lock': fence.lock, 'baton-fence': String(fence.fence) };
    if (fence.token !== undefined)
      h['baton-lock-token'] = this.#tokens.get(fence.lock, fence.token) ?? fence.token;
    return h;
  }
}

function dictPath(dict: string): string {
  return `/v1/dicts/${encodeURIComponent(dict)}`;
}

function keyPath(dict: string, key: string): string {
  // Dots are encoded too, so that keys such as "." and ".." are never path segments to normalize.
  return `${dictPath(dict)}/keys/${encodeURIComponent(key).replace(/\./g, '%2E')}`;
}

function versionOf(etag: string | string[] | undefined): number {
  const m = typeof etag === 'string' ? /^"(\d+)"$/.exec(etag) : null;
  return m?.[1] ? Number(m[1]) : 0;
}

/** valueText extracts the JSON text of `value` from a `{ "value": … }` answer. */
function valueText(text: string): string {
  return JSON.stringify((JSON.parse(text) as { value: unknown }).value);
}
