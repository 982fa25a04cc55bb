/**
 * RateLimiter: a token bucket per caller (the token's name, or the client address with auth off).
 * Written by hand because it is a dozen lines and no rate-limit library is among the project's
 * dependencies; express-rate-limit would bring a store abstraction this does not need. Buckets
 * live in a Map that is swept of full, idle buckets as it grows, so memory stays bounded by the
 * number of active callers. How it fails: `take` returns the seconds to wait instead of throwing;
 * the route runner turns that into a 429 `rate_limited` problem with Retry-After.
 */

/** RateLimitOptions: sustained requests per second and burst size, per caller. */
export interface RateLimitOptions {
  readonly perSecond: number;
  readonly burst: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/** RateLimiter hands out one token per request per caller. */
export class RateLimiter {
  readonly #perMs: number;
  readonly #burst: number;
  readonly #buckets = new Map<string, Bucket>();
  #sweepAt = 1024;

  constructor(options: RateLimitOptions) {
    if (!(options.perSecond > 0) || !(options.burst >= 1)) {
      throw new RangeError('rate limit needs perSecond > 0 and burst >= 1');
    }
    this.#perMs = options.perSecond / 1000;
    this.#burst = options.burst;
  }

  /** take spends one token of `caller`: 0 when allowed, else the whole seconds until one is available. */
  take(caller: string, now: number = performance.now()): number {
    let b = this.#buckets.get(caller);
    if (!b) {
      b = { tokens: this.#burst, at: now };
      this.#buckets.set(caller, b);
      if (this.#buckets.size >= this.#sweepAt) this.#sweep(now);
    }
    b.tokens = Math.min(this.#burst, b.tokens + (now - b.at) * this.#perMs);
    b.at = now;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / this.#perMs / 1000));
  }

  #sweep(now: number): void {
    for (const [caller, b] of this.#buckets) {
      if (b.tokens + (now - b.at) * this.#perMs >= this.#burst) this.#buckets.delete(caller);
    }
    this.#sweepAt = Math.max(1024, this.#buckets.size * 2);
  }
}
