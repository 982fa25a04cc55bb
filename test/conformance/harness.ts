/**
 * The conformance harness: what a backend hands the suite (`Harness`), and the helpers every
 * concern file shares — a random name per test, clients that are closed after each test, timing
 * derived from the backend's capabilities, bounded waits for events, and dict snapshots for
 * "nothing changed" checks.
 *
 * Timing rule: the suite never assumes a speed. Lock TTLs go through `lockTtl` (at least the
 * backend's `minTtlMs`), entry TTLs through `entryTtl` (at least its TTL granularity), and every
 * wait for an event is bounded by a generous multiple of the TTL plus `SLACK_MS`, so a slow store
 * adapts instead of being skipped and a loaded CI machine does not flake.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { afterEach } from 'vitest';
import type { Baton, SharedDict } from '../../src/index.js';

/** Harness is what a backend gives the conformance suite. */
export interface Harness {
  /** name labels the backend in test names. */
  readonly name: string;
  /** connect opens a NEW client on the same store every call (so several clients contend). */
  readonly connect: () => Promise<Baton>;
  /**
   * compact makes the store drop the watch history of `dict` before its current version (etcd:
   * compact at the current revision). Give this or `connectCompacting`; with neither, the
   * compaction test is skipped with that reason.
   */
  readonly compact?: (dict: string) => Promise<void>;
  /**
   * connectCompacting opens a NEW client on a store whose dicts keep a short watch history,
   * bounded by count and reported as `capabilities.dicts.historyLimit` (at most 1000), so the
   * suite can outrun it (memory: `memory://name?history=5`; Redis: a short stream MAXLEN).
   */
  readonly connectCompacting?: () => Promise<Baton>;
}

/** SLACK_MS is the margin added to every timed wait, for a loaded 2-core CI machine. */
export const SLACK_MS = 5_000;

/** LONG_TEST_MS is the timeout of tests that wait through several TTLs. */
export const LONG_TEST_MS = 120_000;

/** uniqueName returns `<kind>-<random hex>`, a valid lock or dict name no other test uses. */
export function uniqueName(kind: string): string {
  return `${kind}-${randomBytes(8).toString('hex')}`;
}

/** lockTtl is `ms`, raised to the backend's smallest lock TTL. */
export function lockTtl(baton: Baton, ms: number): number {
  return Math.max(ms, baton.capabilities.locks.minTtlMs);
}

/** entryTtl is `ms`, raised to the backend's entry TTL granularity. */
export function entryTtl(baton: Baton, ms: number): number {
  return Math.max(ms, baton.capabilities.dicts.ttlGranularityMs);
}

/** Tuple is `[T, T, …]` of length N when N is a literal, else `T[]`. */
export type Tuple<T, N extends number, R extends T[] = []> = number extends N
  ? T[]
  : R['length'] extends N
    ? R
    : Tuple<T, N, [T, ...R]>;

/** Clients opens clients for one test; all are closed after it. */
export interface Clients {
  /** one opens one client. */
  one(): Promise<Baton>;
  /** many opens `n` clients (a tuple, so `const [a, b] = await many(2)` is typed). */
  many<N extends number>(n: N): Promise<Tuple<Baton, N>>;
  /** compacting opens a client from `connectCompacting`, or returns undefined when the harness has none. */
  compacting(): Promise<Baton | undefined>;
}

/**
 * useClients registers an `afterEach` in the calling `describe` that closes every client the
 * test opened, so no connection, wait or timer outlives it.
 */
export function useClients(h: Harness): Clients {
  const open: Baton[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((b) => b.close()));
  });
  const track = (b: Baton): Baton => {
    open.push(b);
    return b;
  };
  return {
    one: async () => track(await h.connect()),
    many: async <N extends number>(n: N) =>
      (await Promise.all(Array.from({ length: n }, async () => track(await h.connect())))) as Tuple<Baton, N>,
    compacting: async () => (h.connectCompacting ? track(await h.connectCompacting()) : undefined),
  };
}

/** sleep waits `ms`. Used only where no event exists (time itself is what is tested, or a waiter must be queued). */
export function sleep(ms: number): Promise<void> {
  return delay(ms);
}

/**
 * outlasting runs `attempt(ttlMs, renew)` with a short lease TTL and resolves to its result. A busy
 * CPU can stall a test past a short TTL between two renewals, and then the store rightly lets the
 * lease go: so when `attempt` fails at least `ttlMs` after the last renewal that succeeded began (the
 * acquire counts, and every call `attempt` wraps in `renew`), it is run again with twice the TTL, up
 * to `maxTtlMs`. A failure sooner than that is the store's and is thrown, so the test keeps its teeth.
 */
export async function outlasting<T>(
  firstTtlMs: number,
  attempt: (ttlMs: number, renew: <R>(call: () => Promise<R>) => Promise<R>) => Promise<T>,
  maxTtlMs = 20_000,
): Promise<T> {
  for (let ttlMs = firstTtlMs; ; ttlMs *= 2) {
    let renewedAt = performance.now();
    const renew = async <R>(call: () => Promise<R>): Promise<R> => {
      const started = performance.now();
      const result = await call();
      renewedAt = started;
      return result;
    };
    try {
      return await attempt(ttlMs, renew);
    } catch (err) {
      const stalled = performance.now() - renewedAt >= ttlMs;
      if (!stalled || ttlMs * 2 > maxTtlMs) throw err;
    }
  }
}

/** within resolves to what `p` resolves to, or rejects naming `what` if it takes longer than `ms`. */
export async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** abortedWith resolves to the signal's reason once it aborts. */
export function abortedWith(signal: AbortSignal): Promise<unknown> {
  if (signal.aborted) return Promise.resolve(signal.reason);
  return new Promise((resolve) =>
    signal.addEventListener('abort', () => resolve(signal.reason), { once: true }),
  );
}

/**
 * eventually polls `check` every 10 ms until it is true, for store-side states that announce
 * nothing to a reader (a lock's expiry as seen by `inspect`). Rejects after `ms`.
 */
export async function eventually(check: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = performance.now() + ms;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`${what} did not happen within ${ms} ms`);
    await sleep(10);
  }
}

/**
 * collect reads `n` items from the iterable `open(signal)` returns, then stops it. If they do not
 * all arrive within `ms`, the signal aborts and collect rejects, listing what did arrive.
 */
export async function collect<T>(
  open: (signal: AbortSignal) => AsyncIterable<T>,
  n: number,
  ms: number,
): Promise<T[]> {
  const ac = new AbortController();
  const out: T[] = [];
  const timer = setTimeout(() => ac.abort(new Error(`timed out after ${ms} ms`)), ms);
  try {
    for await (const item of open(ac.signal)) {
      out.push(item);
      if (out.length >= n) break;
    }
  } finally {
    clearTimeout(timer);
  }
  if (out.length < n) {
    throw new Error(`expected ${n} items within ${ms} ms, got ${out.length}: ${JSON.stringify(out)}`);
  }
  return out;
}

/** Snapshot is everything a dict holds, for "nothing changed" checks. */
export interface Snapshot {
  readonly version: number;
  readonly size: number;
  readonly entries: Array<{ key: string; value: unknown; version: number }>;
}

/** snapshot reads a dict's version, size and every entry (sorted by key). */
export async function snapshot(dict: SharedDict<unknown>): Promise<Snapshot> {
  const version = await dict.version();
  const entries: Snapshot['entries'] = [];
  let cursor: string | undefined;
  do {
    const page = await dict.entries({ limit: 1000, cursor });
    entries.push(...page.entries);
    cursor = page.cursor;
  } while (cursor !== undefined);
  entries.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { version, size: await dict.size(), entries };
}

/**
 * rejection calls `fn` and resolves to the error it fails with: a rejected promise or, for the
 * API methods that still throw bad input synchronously (the known-bug test in bad-options.ts), a
 * synchronous throw. Rejects if `fn` succeeds.
 */
export async function rejection(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

/** bad passes a deliberately ill-typed argument through the type checker. */
export function bad<T>(value: unknown): T {
  return value as T;
}
