/**
 * runDemo: a short tour of the API on the embedded memory backend, printed step by step
 * (`baton demo`). It uses only the public API.
 */
import { connect } from '../connect.js';
import { StaleFenceError } from '../errors.js';

/** runDemo prints what it does and resolves when done; it rejects only on a bug. */
export async function runDemo(print: (line: string) => void = console.log): Promise<void> {
  const url = 'memory://';
  print(`baton demo on ${url} (embedded, nothing to install)\n`);
  const a = await connect(url);
  const b = await connect(url);
  try {
    const jobs = a.dict<number>('demo-counters');

    print('1. Worker A takes the lock "nightly" with a 300 ms TTL and does not extend it.');
    const stale = await a.lock('nightly', { ttlMs: 300 }).acquire();
    print(`   A holds it with fence ${stale.fence}.`);
    await jobs.set('report', 1, { fence: stale });
    print('   A writes report=1 fenced by its lease: accepted.');

    print("2. Worker B waits for the same lock; it is handed over when A's lease expires.");
    const started = performance.now();
    const fresh = await b.lock('nightly', { ttlMs: 5_000 }).acquire({ waitMs: 2_000 });
    print(
      `   B got it after ${Math.round(performance.now() - started)} ms with fence ${fresh.fence}; A's lease signal aborted: ${stale.signal.aborted}.`,
    );
    await b.dict<number>('demo-counters').set('report', 2, { fence: fresh });
    print('   B writes report=2 fenced by its lease: accepted.');

    print('3. A wakes up from a long pause and tries to write with its old lease.');
    try {
      await jobs.set('report', 99, { fence: stale });
      print('   accepted?! (this would be a bug)');
    } catch (err) {
      if (!(err instanceof StaleFenceError)) throw err;
      print(`   refused by the store: ${err.code} — ${err.message}`);
    }
    print(`   report is still ${await jobs.get('report')}.`);
    await fresh.release();

    print('4. 100 concurrent increments from two clients: incr and update(fn) lose nothing.');
    await Promise.all(
      Array.from({ length: 100 }, (_, i) => (i % 2 ? a : b).dict<number>('demo-counters').incr('hits')),
    );
    await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        (i % 2 ? a : b).dict<number>('demo-counters').update('total', (n) => (n ?? 0) + 1),
      ),
    );
    print(`   hits=${await jobs.get('hits')} total=${await jobs.get('total')}`);

    print('5. withLock keeps a 200 ms lease alive across a 700 ms job by extending it.');
    const result = await a.withLock(
      'rebuild',
      async (lease) => {
        await new Promise((r) => setTimeout(r, 700));
        return `done with fence ${lease.fence}, lease lost: ${lease.signal.aborted}`;
      },
      { ttlMs: 200 },
    );
    print(`   ${result}`);

    print('\nNext: import { connect } from "baton" in your workers; see README.md.');
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
}
