/**
 * Lease: one grant of a lock to this process. It knows its fence and token, keeps a
 * conservative client-side deadline (the TTL measured from just before the granting request was
 * sent, minus a clock-drift allowance), and signals loss through an AbortSignal at that
 * deadline, when an extension is refused, or when it is released.
 *
 * Extensions of one lease are ordered: each waits for the one before it to settle (the
 * keep-alive's tick queues like a manual call), so the store applies them in the order they were
 * made and the last answer is the state the store kept. While an extension is in flight the
 * store may already hold its TTL, counted from about when it was sent, so the deadline is first
 * lowered to that (when shorter) and raised only by the answer; an extension whose answer never
 * arrives (BackendUnavailableError) leaves it lowered, since it may have been applied.
 *
 * How it fails: `extend` throws LockLostError once the lease is lost (by the store's answer or by
 * the local deadline); `release` never throws for a lost lease (it resolves false) but does throw
 * BackendUnavailableError when the store cannot be reached, so the caller can retry.
 */
import { BackendUnavailableError, LockLostError } from '../errors.js';
import { encodeFenceScope, type FenceScope } from '../fence-scope.js';
import { assertTtl } from '../validation.js';
import type { LockBackend, LockGrant } from './backend.js';

/**
 * LeaseBackend is what a lease needs of its store: extend and release by token, and the
 * smallest TTL the store grants (a shorter request is rounded up to it).
 */
export type LeaseBackend = Pick<LockBackend, 'extend' | 'release'> & {
  readonly capabilities: { readonly minTtlMs: number };
};

/** LeaseSettings are the timing rules a Lease follows. */
export interface LeaseSettings {
  /** driftFactor is the fraction of the TTL assumed lost to clock drift (plus 2 ms). Default 0.01. */
  readonly driftFactor: number;
}

/**
 * localDeadline is the `performance.now()` instant after which a grant must be treated as lost:
 * its TTL counted from just before the granting request was sent, minus the drift allowance.
 */
export function localDeadline(
  grant: Pick<LockGrant, 'startedAt' | 'ttlMs'>,
  settings: LeaseSettings,
): number {
  return grant.startedAt + grant.ttlMs - (grant.ttlMs * settings.driftFactor + 2);
}

/** LostReason is why a lease was lost. */
type LostReason = 'expired' | 'extend_refused' | 'released';

/** Lease is a held lock. Dispose it (`await using`) or call `release()`. */
export class Lease implements AsyncDisposable {
  /** name is the lock's name. */
  readonly name: string;
  /** token is the random owner token; never show it to anyone but this holder. */
  readonly token: string;
  #fence: number;
  #deadline = 0; // performance.now() scale
  /** #lostAs is why the lease was lost; its LockLostError is made on first need (`#lost`). */
  #lostAs: LostReason | undefined;
  #lostError: LockLostError | undefined;
  #controller: AbortController | undefined;
  #timer: NodeJS.Timeout | undefined;
  #keepAlive: NodeJS.Timeout | undefined;
  #released: Promise<boolean> | undefined;
  /** #extending settles when the last extension asked for has settled; the next one waits for it. */
  #extending: Promise<unknown> = Promise.resolve();
  readonly #backend: LeaseBackend;
  readonly #settings: LeaseSettings;
  /** scope names this lease's fence counter: `{ kind: 'lock', name }`, or the semaphore's or rwlock's. */
  readonly scope: FenceScope;
  #ttlMs: number;

  /** @internal Leases are made by Lock.acquire. */
  constructor(
    name: string,
    token: string,
    grant: LockGrant,
    backend: LeaseBackend,
    settings: LeaseSettings,
    scope: FenceScope = Object.freeze({ kind: 'lock', name }),
  ) {
    this.name = name;
    this.scope = scope;
    this.token = token;
    this.#fence = grant.fence;
    this.#ttlMs = grant.ttlMs;
    this.#backend = backend;
    this.#settings = settings;
    this.#setDeadline(grant);
  }

  /**
   * fenceScope is `scope` as text, as fenced writes carry it outside this process (REST's
   * Baton-Fence-Lock, `baton run`'s BATON_FENCE_LOCK, `{ lock }`): the lock name, or
   * `rwlock/<name>` / `semaphore/<name>` for leases of those.
   */
  get fenceScope(): string {
    return encodeFenceScope(this.scope);
  }

  /** fence strictly increases with every grant of this lock; pass it with writes (`{ fence: lease }`). */
  get fence(): number {
    return this.#fence;
  }

  /** ttlMs is the TTL of the last grant or extension. */
  get ttlMs(): number {
    return this.#ttlMs;
  }

  /** expiresAt is the conservative local expiry in ms since the epoch. */
  get expiresAt(): number {
    return Math.floor(Date.now() + (this.#deadline - performance.now()));
  }

  /** lost is true once the lease no longer holds the lock (including after release). */
  get lost(): boolean {
    this.#checkDeadline();
    return this.#lostAs !== undefined;
  }

  /**
   * signal aborts when the lease is lost: at the local deadline, when an extension is refused, or
   * on release. Its `reason` is a LockLostError. Created on first use, so leases that nobody
   * watches cost no timer.
   */
  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      this.#checkDeadline();
      if (this.#lostAs) this.#controller.abort(this.#lost);
      else this.#armTimer();
    }
    return this.#controller.signal;
  }

  /**
   * extend resets the lease's TTL (default: the TTL of the last grant or extension when this call
   * is sent). Calls on one lease are sent one after another, in call order. Throws LockLostError
   * if the lease is already lost or the store says this token no longer holds the lock;
   * InvalidArgumentError for a bad TTL (nothing is sent); BackendUnavailableError if the store
   * cannot answer (the lease is then still held until its deadline, lowered to this call's TTL
   * from its sending when that is earlier, and the call may be retried).
   */
  async extend(ttlMs?: number): Promise<void> {
    if (ttlMs !== undefined) assertTtl(ttlMs);
    this.#checkDeadline();
    if (this.#lostAs) throw this.#lost;
    const run = this.#extending.then(() => this.#extendNow(ttlMs));
    this.#extending = run.catch(() => undefined);
    return run;
  }

  async #extendNow(ttlMs: number | undefined): Promise<void> {
    this.#checkDeadline();
    if (this.#lostAs) throw this.#lost;
    const ttl = ttlMs ?? this.#ttlMs;
    // From here the store may apply this TTL at any moment, counted from no earlier than now.
    const sent = { startedAt: performance.now(), ttlMs: Math.max(ttl, this.#backend.capabilities.minTtlMs) };
    this.#lowerDeadline(localDeadline(sent, this.#settings));
    const grant = await this.#backend.extend(this.name, this.token, ttl);
    if (this.#lostAs) throw this.#lost; // lost (for example released) while the call was in flight
    if (!grant) {
      this.#markLost('extend_refused');
      throw this.#lost;
    }
    this.#fence = grant.fence;
    this.#ttlMs = grant.ttlMs;
    this.#setDeadline(grant);
    if (this.#controller) this.#armTimer();
  }

  /**
   * release frees the lock. Resolves true if this call released it, false if the lease had
   * already lost it (expired, or released by an earlier call): safe to call twice. Rejects with
   * BackendUnavailableError when the store cannot be reached (then it may be called again).
   */
  release(): Promise<boolean> {
    if (this.#released) return this.#released.then(() => false);
    this.#stopKeepAlive();
    const p = this.#backend.release(this.name, this.token).then(
      (held) => {
        this.#markLost('released');
        return held;
      },
      (err: unknown) => {
        this.#released = undefined;
        throw err;
      },
    );
    this.#released = p;
    return p;
  }

  /**
   * keepAlive extends the lease every third of its TTL until it is released or lost. A refused
   * extension aborts `signal`; an unreachable store is retried until the deadline passes, when
   * `signal` aborts too. Returns a function that stops the keep-alive.
   */
  keepAlive(): () => void {
    this.#stopKeepAlive();
    const tick = () => {
      if (this.lost) return;
      const started = performance.now();
      this.extend().then(
        () => schedule(Math.max(1, this.#ttlMs / 3 - (performance.now() - started))),
        (err: unknown) => {
          if (err instanceof BackendUnavailableError && !this.lost) {
            schedule(Math.max(1, Math.min(this.#ttlMs / 10, this.#deadline - performance.now())));
          }
          // LockLostError: signal already aborted by #markLost; nothing more to do.
        },
      );
    };
    const schedule = (ms: number) => {
      if (this.#lostAs) return;
      this.#keepAlive = setTimeout(tick, ms);
      this.#keepAlive.unref();
    };
    void this.signal; // arm the deadline timer so loss is observable
    schedule(this.#ttlMs / 3);
    return () => this.#stopKeepAlive();
  }

  /** Symbol.asyncDispose releases the lease (for `await using`). */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.release();
  }

  /** toJSON never includes the token. */
  toJSON(): { name: string; fence: number; expiresAt: number } {
    return { name: this.name, fence: this.#fence, expiresAt: this.expiresAt };
  }

  #setDeadline(grant: LockGrant): void {
    this.#deadline = localDeadline(grant, this.#settings);
  }

  /** #lowerDeadline moves the deadline to `deadline` if that is earlier (an extension in flight may shorten the lease). */
  #lowerDeadline(deadline: number): void {
    if (deadline >= this.#deadline) return;
    this.#deadline = deadline;
    this.#checkDeadline();
    if (this.#controller && !this.#lostAs) this.#armTimer();
  }

  #checkDeadline(): void {
    if (!this.#lostAs && performance.now() >= this.#deadline) this.#markLost('expired');
  }

  #armTimer(): void {
    if (this.#timer) clearTimeout(this.#timer);
    const ms = this.#deadline - performance.now();
    // setTimeout caps at 2^31-1 ms; a longer deadline re-arms when it fires.
    this.#timer = setTimeout(
      () => {
        this.#timer = undefined;
        this.#checkDeadline();
        if (!this.#lostAs) this.#armTimer();
      },
      Math.min(Math.max(0, Math.ceil(ms)), 2 ** 31 - 1),
    );
    this.#timer.unref();
  }

  /**
   * #lost is the LockLostError of a lost lease. It is made when first needed (a throw, the
   * signal's reason), not when the lease is lost: capturing an Error's stack cost more than the
   * rest of a release's client-side work, and most released leases never need one.
   */
  get #lost(): LockLostError {
    this.#lostError ??= new LockLostError(this.name, this.#lostAs ?? 'lost');
    return this.#lostError;
  }

  #markLost(reason: LostReason): void {
    if (this.#lostAs) return;
    this.#lostAs = reason;
    this.#stopKeepAlive();
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#controller?.abort(this.#lost);
  }

  #stopKeepAlive(): void {
    if (this.#keepAlive) clearTimeout(this.#keepAlive);
    this.#keepAlive = undefined;
  }
}

/**
 * runHeld runs `fn(lease)` and releases the lease in `finally`; it resolves to what `fn` returned.
 * If the lease was lost while `fn` ran, it rejects with LockLostError (naming its fence scope)
 * after `fn` settles, because the section was not exclusive to its end. A release that fails because the
 * store is unreachable is not reported: the lease then ends at its TTL.
 */
export async function runHeld<R>(lease: Lease, fn: (lease: Lease) => Promise<R> | R): Promise<R> {
  let result: R;
  try {
    result = await fn(lease);
  } catch (err) {
    await lease.release().catch(() => undefined);
    throw err;
  }
  const lost = lease.lost ? (lease.signal.reason as LockLostError) : undefined;
  try {
    await lease.release();
  } catch (err) {
    if (!(err instanceof BackendUnavailableError)) throw err;
  }
  if (lost) throw new LockLostError(lease.fenceScope, lost.reason, { cause: lost });
  return result;
}
