/**
 * HttpClient: requests to one baton server over node's own http (or https) with a keep-alive
 * Agent (idle sockets closed after 4 s, unbounded sockets, so a process's long-polls never starve
 * its own releases). node:http rather than an HTTP library keeps a CLI call's start-up small
 * (undici was 112 of the 157 modules `baton dict get` loaded). Every request has a deadline
 * (`timeoutMs`, or the long-poll wait plus it), follows the caller's AbortSignal, and is
 * cancelled by `close()`. Errors go through `translate.ts`, the backend's one error translator.
 *
 * How it fails: BackendUnavailableError when the server cannot be reached or does not answer in
 * time; the caller's `signal.reason` when aborted; otherwise the typed error the server's
 * problem+json names.
 */
import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { BackendUnavailableError } from '../../errors.js';
import { ClientGate } from '../common/gate.js';
import { problemError, transportError } from './translate.js';

/** CallOptions shape one request. */
export interface CallOptions {
  /** body is JSON text. */
  readonly body?: string | undefined;
  readonly headers?: Readonly<Record<string, string>> | undefined;
  readonly signal?: AbortSignal | undefined;
  /** timeoutMs replaces the client's default deadline for this request. */
  readonly timeoutMs?: number | undefined;
  /** ok lists error statuses the caller handles itself (such as 404) instead of an exception. */
  readonly ok?: readonly number[] | undefined;
}

/** Reply is a complete response. */
export interface Reply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
}

/** StreamReply is a response whose body is read as it arrives; `cancel` ends it. */
export interface StreamReply {
  readonly body: AsyncIterable<Buffer>;
  cancel(): void;
}

const CLOSED = 'baton client is closed';

/** HttpClient talks to one server. */
export class HttpClient {
  /** origin is shown in messages (never the token). */
  readonly origin: string;
  readonly timeoutMs: number;
  readonly #prefix: string;
  readonly #auth: Record<string, string>;
  readonly #send: typeof http.request;
  readonly #agent: http.Agent;
  readonly #hostname: string;
  readonly #port: string;
  readonly #inflight = new Set<AbortController>();
  readonly #gate = new ClientGate();

  constructor(base: URL, token: string | undefined, timeoutMs: number) {
    this.origin = base.origin;
    this.timeoutMs = timeoutMs;
    this.#prefix = base.pathname.replace(/\/+$/, '');
    this.#auth = token ? { authorization: `Bearer ${token}` } : {};
    // node:https (and tls) load only for an https:// server.
    const transport = base.protocol === 'https:' ? process.getBuiltinModule('node:https') : http;
    this.#send = transport.request;
    this.#agent = new transport.Agent({ keepAlive: true, timeout: 4_000 });
    this.#hostname = base.hostname.replace(/^\[(.*)\]$/, '$1'); // an IPv6 literal without brackets
    this.#port = base.port;
  }

  /** closed is true after close(). */
  get closed(): boolean {
    return this.#gate.closed;
  }

  /** call sends one request and reads the whole answer. */
  async call(method: string, path: string, options: CallOptions = {}): Promise<Reply> {
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    return this.#guard(options.signal, timeoutMs, async (signal) => {
      const res = await this.#request(method, path, this.#headers(options), options.body, signal);
      const text = await readText(res);
      const status = res.statusCode ?? 0;
      if (status >= 400 && !(options.ok ?? []).includes(status)) {
        throw problemError(status, res.headers, text, this.origin);
      }
      return { status, headers: res.headers, text };
    });
  }

  /** json sends one request and parses the JSON answer. */
  async json<T>(method: string, path: string, options: CallOptions = {}): Promise<T> {
    const reply = await this.call(method, path, options);
    try {
      return JSON.parse(reply.text) as T;
    } catch {
      throw new BackendUnavailableError(
        `${this.origin} answered ${method} ${path} with something that is not JSON`,
      );
    }
  }

  /**
   * stream opens a response to read as it arrives (watch). The deadline covers the headers;
   * afterwards `idleMs` bounds the silence between chunks.
   */
  async stream(
    path: string,
    headers: Record<string, string>,
    signal: AbortSignal | undefined,
    idleMs: number,
  ): Promise<StreamReply> {
    this.#gate.assertOpen();
    signal?.throwIfAborted();
    const ctl = new AbortController();
    const stop = () => ctl.abort(signal?.reason);
    signal?.addEventListener('abort', stop, { once: true });
    this.#inflight.add(ctl);
    const cancel = () => {
      signal?.removeEventListener('abort', stop);
      this.#inflight.delete(ctl);
      if (!ctl.signal.aborted) ctl.abort(new BackendUnavailableError('watch stream ended'));
    };
    const timedOut = new BackendUnavailableError(`${this.origin} did not answer within ${this.timeoutMs} ms`);
    const timer = setTimeout(() => ctl.abort(timedOut), this.timeoutMs);
    try {
      const res = await this.#request(
        'GET',
        path,
        { ...this.#auth, accept: 'text/event-stream', ...headers },
        undefined,
        ctl.signal,
      );
      if (res.statusCode !== 200) {
        const text = await readText(res);
        throw problemError(res.statusCode ?? 0, res.headers, text, this.origin);
      }
      clearTimeout(timer);
      // From here on only silence ends the stream: more than idleMs without a byte (keep-alives included).
      res.setTimeout(idleMs, () =>
        ctl.abort(new BackendUnavailableError(`${this.origin} sent nothing for ${idleMs} ms`)),
      );
      return { body: chunks(res, ctl.signal), cancel };
    } catch (err) {
      clearTimeout(timer);
      const aborted = ctl.signal.aborted;
      cancel();
      if (signal?.aborted) throw signal.reason;
      if (aborted) throw ctl.signal.reason;
      throw transportError(err, this.origin);
    }
  }

  /** close cancels every request in flight (they fail with BackendUnavailableError) and closes the connections. */
  async close(): Promise<void> {
    if (!this.#gate.close()) return;
    for (const ctl of [...this.#inflight]) ctl.abort(new BackendUnavailableError(CLOSED));
    this.#agent.destroy();
  }

  /** #request sends one request and resolves with the response once its headers have arrived. */
  #request(
    method: string,
    path: string,
    headers: Record<string, string>,
    body: string | undefined,
    signal: AbortSignal,
  ): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const req = this.#send({
        agent: this.#agent,
        hostname: this.#hostname,
        port: this.#port,
        path: this.#prefix + path,
        method,
        headers,
        signal, // an abort destroys the request and its socket
      });
      req.on('response', resolve);
      req.on('error', reject); // kept: an error after the response is the body's, the reader sees it
      req.end(body);
    });
  }

  #headers(options: CallOptions): Record<string, string> {
    const h: Record<string, string> = { ...this.#auth, accept: 'application/json', ...options.headers };
    if (options.body !== undefined) h['content-type'] = 'application/json';
    return h;
  }

  /** #guard runs `fn` under a signal that aborts on the caller's signal, the deadline, or close(). */
  async #guard<T>(
    caller: AbortSignal | undefined,
    timeoutMs: number,
    fn: (signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    this.#gate.assertOpen();
    caller?.throwIfAborted();
    const ctl = new AbortController();
    const timedOut = new BackendUnavailableError(`${this.origin} did not answer within ${timeoutMs} ms`);
    const timer = setTimeout(() => ctl.abort(timedOut), Math.min(timeoutMs, 2 ** 31 - 1));
    const onAbort = () => ctl.abort(caller?.reason);
    caller?.addEventListener('abort', onAbort, { once: true });
    this.#inflight.add(ctl);
    try {
      return await fn(ctl.signal);
    } catch (err) {
      if (caller?.aborted) throw caller.reason;
      if (ctl.signal.aborted) throw ctl.signal.reason;
      throw transportError(err, this.origin);
    } finally {
      clearTimeout(timer);
      caller?.removeEventListener('abort', onAbort);
      this.#inflight.delete(ctl);
    }
  }
}

/** readText reads a whole response body as UTF-8. */
async function readText(res: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  for await (const part of res) parts.push(part as Buffer);
  return Buffer.concat(parts).toString('utf8');
}

/** chunks yields a response body; once `signal` has aborted (cancel, close, idle) it fails with the reason. */
async function* chunks(res: IncomingMessage, signal: AbortSignal): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of res) yield chunk as Buffer;
  } catch (err) {
    if (signal.aborted) throw signal.reason;
    throw err;
  }
  if (signal.aborted) throw signal.reason;
}
