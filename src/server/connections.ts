/**
 * Connection limits of a listening server: how long a client may take to send a request's head
 * and the whole request, how long an idle keep-alive connection stays open, and how many
 * connections are served at once, in all and per client address. Node's defaults (60 s for the
 * head, 300 s for the request, no connection cap) let a few slow clients hold the server.
 *
 * The request timeout covers receiving the request only: once a request has arrived, the answer
 * may take as long as it needs, so SSE watch streams and long-poll acquires are not cut by it
 * (test/server/connections.test.ts checks both). Connections over a cap are closed as soon as
 * they are accepted, before a byte is read.
 *
 * How it fails: `resolveConnectionLimits` throws InvalidArgumentError naming a bad limit.
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { InvalidArgumentError } from '../index.js';

/** ConnectionLimits bound what clients may hold of a listening server. */
export interface ConnectionLimits {
  /** headersTimeoutMs is how long a client may take to send a request's head (408 and close). Default 10 000. */
  readonly headersTimeoutMs: number;
  /** requestTimeoutMs is how long a client may take to send a whole request, head and body. Default 30 000. */
  readonly requestTimeoutMs: number;
  /** keepAliveTimeoutMs is how long an idle connection stays open between requests. Default 10 000. */
  readonly keepAliveTimeoutMs: number;
  /** maxConnections caps the open connections (watch streams included). Default 10 000. */
  readonly maxConnections: number;
  /** maxConnectionsPerAddress caps the open connections of one client address; 0 = no cap (the default). */
  readonly maxConnectionsPerAddress: number;
}

/** DEFAULT_CONNECTION_LIMITS are the limits of a server that is given none. */
export const DEFAULT_CONNECTION_LIMITS: Readonly<ConnectionLimits> = Object.freeze({
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 10_000,
  maxConnections: 10_000,
  maxConnectionsPerAddress: 0,
});

const MAX_MS = 2 ** 31 - 1;

/** resolveConnectionLimits fills in defaults and checks every limit. InvalidArgumentError for a bad one. */
export function resolveConnectionLimits(limits: Partial<ConnectionLimits> = {}): ConnectionLimits {
  const out = { ...DEFAULT_CONNECTION_LIMITS, ...limits };
  for (const [name, value] of Object.entries(out)) {
    const min = name === 'maxConnectionsPerAddress' ? 0 : 1;
    if (!Number.isInteger(value) || value < min || value > MAX_MS) {
      throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${MAX_MS} (got ${value})`);
    }
  }
  if (out.headersTimeoutMs > out.requestTimeoutMs) {
    throw new InvalidArgumentError(
      `headersTimeoutMs (${out.headersTimeoutMs}) must not exceed requestTimeoutMs (${out.requestTimeoutMs})`,
    );
  }
  return out;
}

/**
 * serverOptionsFor are the node:http createServer options for `limits`. Node checks the head and
 * request deadlines on a timer (every 30 s by default); it runs here at a quarter of the shorter
 * timeout so a deadline is enforced within 25 % of its length.
 */
export function serverOptionsFor(limits: ConnectionLimits): {
  headersTimeout: number;
  requestTimeout: number;
  keepAliveTimeout: number;
  connectionsCheckingInterval: number;
} {
  return {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionsCheckingInterval: Math.max(10, Math.min(30_000, Math.floor(limits.headersTimeoutMs / 4))),
  };
}

/** capConnections applies the connection caps of `limits` to `server`. */
export function capConnections(server: Server, limits: ConnectionLimits): void {
  server.maxConnections = limits.maxConnections;
  const cap = limits.maxConnectionsPerAddress;
  if (cap === 0) return;
  const open = new Map<string, number>();
  server.prependListener('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? '';
    const n = (open.get(address) ?? 0) + 1;
    if (n > cap) {
      socket.destroy();
      return;
    }
    open.set(address, n);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left === 0) open.delete(address);
      else open.set(address, left);
    });
  });
}
