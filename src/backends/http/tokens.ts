/**
 * TokenMap: the server picks a lease's token (REST acquire answers it), while the lock layer
 * above gives the backend its own random token per acquire. This map pairs the two for the life
 * of the lease, so extend, release and ownership-guarded writes send the server's token. Entries
 * go on release, on a refused extension, and by a sweep a minute after their lease's TTL.
 */

interface Held {
  readonly server: string;
  /** until is performance.now() after which the lease is surely over (TTL from just before the request). */
  until: number;
}

const GRACE_MS = 60_000;

/** TokenMap maps (lock, client token) to the server's token. */
export class TokenMap {
  readonly #held = new Map<string, Held>();
  #sweepAt = 0;

  /** set records a grant. */
  set(lock: string, client: string, server: string, until: number): void {
    this.#held.set(keyOf(lock, client), { server, until });
    const now = performance.now();
    if (this.#held.size > 256 && now >= this.#sweepAt) {
      for (const [k, h] of this.#held) if (h.until + GRACE_MS < now) this.#held.delete(k);
      this.#sweepAt = now + 10_000;
    }
  }

  /** get returns the server's token for a client token, if the lease is known. */
  get(lock: string, client: string): string | undefined {
    return this.#held.get(keyOf(lock, client))?.server;
  }

  /** extend moves the end of a known lease. */
  extend(lock: string, client: string, until: number): void {
    const h = this.#held.get(keyOf(lock, client));
    if (h) h.until = until;
  }

  /** delete forgets a lease. */
  delete(lock: string, client: string): void {
    this.#held.delete(keyOf(lock, client));
  }

  /** size is the number of leases known (for tests). */
  get size(): number {
    return this.#held.size;
  }
}

function keyOf(lock: string, client: string): string {
  return `${lock}\u0000${client}`;
}
