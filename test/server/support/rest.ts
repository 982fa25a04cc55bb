/**
 * rest sends one raw HTTP request (Node's fetch, real sockets) and reads the answer, for tests
 * that check the wire format itself: statuses, headers, problem+json bodies.
 */
import { expect } from 'vitest';

/** RestReply is a response with its body parsed as JSON when it is JSON. */
export interface RestReply {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** data is the parsed body (undefined when the body is empty or not JSON). */
  readonly data: unknown;
  /** json is `data` when it is a JSON object, else an empty object. */
  readonly json: Record<string, unknown>;
}

/** RestInit shapes one request; `json` is sent as an application/json body. */
export interface RestInit {
  readonly json?: unknown;
  readonly body?: string | Uint8Array;
  readonly headers?: Record<string, string>;
  readonly signal?: AbortSignal;
}

/** rest sends `method path` to `base`. */
export async function rest(
  base: string,
  method: string,
  path: string,
  init: RestInit = {},
): Promise<RestReply> {
  const headers: Record<string, string> = { ...init.headers };
  let body: string | Uint8Array | undefined = init.body;
  if (init.json !== undefined) {
    body = JSON.stringify(init.json);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(base + path, { method, headers, body, signal: init.signal });
  const text = await res.text();
  let data: unknown;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    data = undefined;
  }
  const json =
    data !== null && typeof data === 'object' && !Array.isArray(data)
      ? (data as Record<string, unknown>)
      : {};
  return { status: res.status, headers: res.headers, text, data, json };
}

/** expectProblem asserts that a reply is problem+json with this status and code, and no stack trace. */
export function expectProblem(r: RestReply, status: number, code: string): void {
  expect({ status: r.status, type: r.headers.get('content-type'), body: r.json }, r.text).toMatchObject({
    status,
    type: expect.stringMatching(/^application\/problem\+json/),
    body: {
      type: `https://baton.dev/problems/${code}`,
      title: expect.any(String),
      status,
      detail: expect.any(String),
      code,
      requestId: expect.any(String),
    },
  });
  expect(r.text).not.toMatch(/\n\s+at |\.ts:\d+|\.js:\d+/);
}
