/**
 * The dashboard's side of the REST API: GET requests with the bearer token (when one is set), and
 * every answer turned into a value the page can show — never an exception.
 *
 * The token lives in this tab's `sessionStorage` only (gone when the tab closes), travels only in
 * the Authorization header of requests to this same origin, and is never written into the page.
 *
 * How it fails: `getJson` resolves to a Failure — status 0 with code `network` when the server
 * did not answer at all, else the status and the problem+json `code` and `detail` it sent.
 */

const TOKEN_KEY = 'baton.token';

/** token returns the stored bearer token, or undefined. */
export function token(): string | undefined {
  try {
    return sessionStorage.getItem(TOKEN_KEY) ?? undefined;
  } catch {
    return undefined; // storage disabled: behave as if no token was given
  }
}

/** setToken stores the bearer token for this tab's session; clearToken forgets it. */
export function setToken(value: string): void {
  sessionStorage.setItem(TOKEN_KEY, value);
}

/** clearToken forgets the stored token. */
export function clearToken(): void {
  sessionStorage.removeItem(TOKEN_KEY);
}

/** authHeaders are the headers every API request carries. */
export function authHeaders(): Record<string, string> {
  const t = token();
  return t === undefined ? {} : { Authorization: `Bearer ${t}` };
}

/** Failure is an answer that was not 2xx (status 0: no answer at all). */
export interface Failure {
  readonly ok: false;
  readonly status: number;
  readonly code: string;
  readonly detail: string;
}

/** Answer is what `getJson` resolves to. */
export type Answer<T> = { readonly ok: true; readonly data: T } | Failure;

/** failureOf reads a problem+json body (or whatever came) into a Failure. */
export async function failureOf(res: Response): Promise<Failure> {
  let code = `http_${res.status}`;
  let detail = res.statusText || `HTTP ${res.status}`;
  try {
    const body = (await res.json()) as { code?: unknown; detail?: unknown };
    if (typeof body.code === 'string') code = body.code;
    if (typeof body.detail === 'string') detail = body.detail;
  } catch {
    // not JSON: keep the status line
  }
  return { ok: false, status: res.status, code, detail };
}

/** networkFailure is the Failure for a request the server never answered. */
export function networkFailure(err: unknown): Failure {
  const why = err instanceof Error ? err.message : String(err);
  return { ok: false, status: 0, code: 'network', detail: `the baton server did not answer (${why})` };
}

/** getJson GETs `path` from this origin and parses the JSON answer. */
export async function getJson<T>(path: string, signal?: AbortSignal): Promise<Answer<T>> {
  let res: Response;
  try {
    res = await fetch(path, {
      headers: { Accept: 'application/json', ...authHeaders() },
      cache: 'no-store',
      credentials: 'omit',
      signal,
    });
  } catch (err) {
    return networkFailure(err);
  }
  if (!res.ok) return failureOf(res);
  try {
    return { ok: true, data: (await res.json()) as T };
  } catch (err) {
    return networkFailure(err);
  }
}
