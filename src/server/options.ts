/**
 * Server options: the limits a server enforces and what route handlers share. Limits are
 * validated once, in `resolveLimits`, which throws InvalidArgumentError naming the bad one.
 */
import type { Logger } from 'pino';
import { type Baton, InvalidArgumentError, MAX_TTL_MS } from '../index.js';
import type { ServerMetrics } from './metrics.js';
import type { WatchSlots } from './watch-slots.js';

/** Limits bound what one request may ask of the server. */
export interface Limits {
  /** maxBodyBytes is the largest request body (413 beyond it); also the largest stored value. Default 1 MiB. */
  readonly maxBodyBytes: number;
  /** maxWaitMs caps the wait of one acquire request (the http backend loops). Default 30 000. */
  readonly maxWaitMs: number;
  /** sseKeepAliveMs is the interval of `: keepalive` comments on watch streams. Default 15 000. */
  readonly sseKeepAliveMs: number;
  /**
   * watchOpenGraceMs is how long a watch waits for the backend's first answer before sending
   * 200, so that an already-compacted history is a 410 rather than an `event: reset`. Default 100.
   */
  readonly watchOpenGraceMs: number;
  /** maxWatches caps the watch streams open at once on this server (429 `too_many_watches` past it). Default 10 000. */
  readonly maxWatches: number;
  /**
   * maxWatchesPerToken caps the watch streams one token (with auth off: one client address) has
   * open at once (429 `too_many_watches` past it). Default 1000.
   */
  readonly maxWatchesPerToken: number;
  /**
   * lingerMs is how long a connection whose request was refused before its body was read keeps
   * discarding what the client still sends before it is closed (see linger.ts). Default 2000.
   */
  readonly lingerMs: number;
  /** maxListScan is the most names one listing request reads from the backend (see routes/listing.ts). Default 10 000. */
  readonly maxListScan: number;
}

/** DEFAULT_LIMITS are the limits of a server that is given none. */
export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxBodyBytes: 1024 * 1024,
  maxWaitMs: 30_000,
  sseKeepAliveMs: 15_000,
  watchOpenGraceMs: 100,
  maxWatches: 10_000,
  maxWatchesPerToken: 1000,
  lingerMs: 2000,
  maxListScan: 10_000,
});

/** resolveLimits fills in defaults and checks every limit. InvalidArgumentError for a bad one. */
export function resolveLimits(limits: Partial<Limits> = {}): Limits {
  const out = { ...DEFAULT_LIMITS, ...limits };
  for (const [name, value] of Object.entries(out)) {
    const min = name === 'watchOpenGraceMs' ? 0 : 1;
    if (!Number.isInteger(value) || value < min || value > MAX_TTL_MS) {
      throw new InvalidArgumentError(
        `limit ${name} must be an integer from ${min} to ${MAX_TTL_MS} (got ${value})`,
      );
    }
  }
  return out;
}

/** RouteDeps is what every route handler may use. */
export interface RouteDeps {
  readonly baton: Baton;
  readonly limits: Limits;
  readonly metrics: ServerMetrics;
  /** shutdown aborts when the server starts draining. */
  readonly shutdown: AbortSignal;
  readonly logger: Logger;
  /** watchSlots bounds every event stream together (dict watch, group watch, election observe). */
  readonly watchSlots: WatchSlots;
}
