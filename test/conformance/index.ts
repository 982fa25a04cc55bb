/**
 * The backend conformance suite: every contract test, run against one backend through a
 * `Harness`. A backend is done when it passes this suite unmodified; `test/backends/<name>.test.ts`
 * wires it in a few lines. Tests a backend's capabilities rule out are skipped with the reason
 * in the report, never silently.
 */
import type { Baton, DictOptions, NearCacheOptions } from '../../src/index.js';
import { badInputTests } from './bad-input.js';
import { badOptionsTests } from './bad-options.js';
import { dictBasicTests } from './dict-basic.js';
import { dictBatchTests } from './dict-batch.js';
import { dictCasTests } from './dict-cas.js';
import { dictIncrTests } from './dict-incr.js';
import { dictKeysTests } from './dict-keys.js';
import { dictTtlTests } from './dict-ttl.js';
import { dictWatchTests } from './dict-watch.js';
import { lockExtendOrderTests, poolExtendOrderTests } from './extend-order.js';
import { fencedWriteTests } from './fenced-write.js';
import { forgedFenceTests } from './forged-fence.js';
import type { Harness } from './harness.js';
import { keysUnusualTests } from './keys-unusual.js';
import { lockAcquireTests } from './lock-acquire.js';
import { lockExtendTests } from './lock-extend.js';
import { lockFenceTests } from './lock-fence.js';
import { lockTtlTests } from './lock-ttl.js';
import { lockWaitTests } from './lock-wait.js';
import { nearCacheTests } from './near-cache.js';
import { recipeTests } from './recipes.js';
import { rwlockTests } from './rwlock.js';
import { semaphoreTests } from './semaphore.js';
import { syncTests } from './sync.js';
import { watchSlowTests } from './watch-slow.js';

export type { Harness } from './harness.js';

/** runLockConformance registers the lock contract tests for the backend `h` connects to. */
export function runLockConformance(h: Harness): void {
  lockAcquireTests(h);
  lockWaitTests(h);
  lockTtlTests(h);
  lockExtendTests(h);
  lockExtendOrderTests(h);
  lockFenceTests(h);
}

/**
 * runSemaphoreConformance registers the semaphore and read-write lock tests. A backend without
 * them must refuse them with UnsupportedError; the other tests are then skipped with that reason.
 */
export function runSemaphoreConformance(h: Harness): void {
  semaphoreTests(h);
  rwlockTests(h);
  poolExtendOrderTests(h);
}

/**
 * runDictConformance registers the dict contract tests, including fenced writes (which take a
 * lock from the same client: on a dict-only backend, compose it with a lock backend in connect).
 */
export function runDictConformance(h: Harness): void {
  dictBasicTests(h);
  dictCasTests(h);
  dictIncrTests(h);
  dictBatchTests(h);
  dictTtlTests(h);
  dictWatchTests(h);
  watchSlowTests(h);
  dictKeysTests(h);
  keysUnusualTests(h);
  fencedWriteTests(h);
  forgedFenceTests(h);
  syncTests(h); // events and barriers are built on dicts
  recipeTests(h); // elections, groups and partitions: on locks and dicts
}

/**
 * withNearCache is `h` whose clients give every dict a near cache (`baton.dict(name, { cache })`
 * unless the test passes its own options), so the dict tests run unmodified through the cache.
 */
export function withNearCache(h: Harness, cache: NearCacheOptions = { maxEntries: 64 }): Harness {
  const cached = async (open: () => Promise<Baton>): Promise<Baton> => {
    const b = await open();
    const dict = b.dict.bind(b);
    b.dict = ((name: string, options: DictOptions = {}) =>
      dict(name, { cache, ...options })) as Baton['dict'];
    return b;
  };
  const compacting = h.connectCompacting;
  return {
    ...h,
    name: `${h.name} + near cache`,
    connect: () => cached(h.connect),
    connectCompacting: compacting && (() => cached(compacting)),
  };
}

/**
 * runNearCacheConformance registers the near cache's own tests, and the dict tests again with
 * every dict of every client read through a near cache (withNearCache). The slow-watcher test is
 * left out: it tests `watch()`, which the cache does not change.
 */
export function runNearCacheConformance(h: Harness, cache?: NearCacheOptions): void {
  nearCacheTests(h);
  const c = withNearCache(h, cache);
  dictBasicTests(c);
  dictCasTests(c);
  dictIncrTests(c);
  dictBatchTests(c);
  dictTtlTests(c);
  dictWatchTests(c);
  dictKeysTests(c);
  keysUnusualTests(c);
  fencedWriteTests(c);
  forgedFenceTests(c);
  syncTests(c);
}

/** runConformance registers every contract test: locks, semaphores and rwlocks, dicts, and bad input. */
export function runConformance(h: Harness): void {
  runLockConformance(h);
  runSemaphoreConformance(h);
  runDictConformance(h);
  badInputTests(h);
  badOptionsTests(h);
}
