/**
 * A watcher that stops reading: while it does not ask for more, the store keeps writing (5 MB of
 * 20 kB values, more than a watch's default 4 MiB buffer). When it reads again it either sees
 * every later version once and in order (stores it pulls from: memory, Redis, a server), or its
 * watch has ended with a retryable WatchOverflowError naming the last version it took (stores
 * that push: etcd), and a new watch from that version sees the rest without a gap or a repeat.
 */
import { describe, expect, it } from 'vitest';
import { type Change, isBatonError, WatchOverflowError } from '../../src/index.js';
import { type Harness, LONG_TEST_MS, SLACK_MS, uniqueName, useClients, within } from './harness.js';

/** WRITES × VALUE_CHARS is what goes by while the watcher does not read: 5 MB. */
const WRITES = 250;
const VALUE_CHARS = 20_000;

/** watchSlowTests registers the slow-watcher test. */
export function watchSlowTests(h: Harness): void {
  describe('dict: a watcher that stops reading', () => {
    const clients = useClients(h);

    it(
      'resumes without a gap: every later version once and in order, or WatchOverflowError and a new watch from its lastVersion',
      async () => {
        const [writer, reader] = await clients.many(2);
        const name = uniqueName('dict');
        const d = writer.dict<string>(name);
        const from = await d.set('start', 'go');
        const ac = new AbortController();
        let it: AsyncIterator<Change<string>> = reader
          .dict<string>(name)
          .watch({ fromVersion: from, signal: ac.signal })
          [Symbol.asyncIterator]();
        try {
          const written = [await d.set('k', '0:first')];
          const first = await within(it.next(), SLACK_MS, 'the first change');
          expect(first.value?.version).toBe(written[0]);
          let last = written[0]!;

          // The watcher asks for nothing while 5 MB go by.
          const filler = 'x'.repeat(VALUE_CHARS);
          for (let i = 1; i <= WRITES; i++) written.push(await d.set(`k${i % 7}`, `${i}:${filler}`));

          const seen: number[] = [written[0]!];
          let overflows = 0;
          while (last < written[written.length - 1]!) {
            let next: IteratorResult<Change<string>>;
            try {
              next = await within(it.next(), 4 * SLACK_MS, `the change after version ${last}`);
            } catch (err) {
              if (!(err instanceof WatchOverflowError)) throw err;
              expect(isBatonError(err) && err.retryable).toBe(true);
              expect(err.lastVersion).toBe(last);
              overflows++;
              expect(overflows).toBeLessThan(WRITES);
              it = reader
                .dict<string>(name)
                .watch({ fromVersion: err.lastVersion, signal: ac.signal })
                [Symbol.asyncIterator]();
              continue;
            }
            expect(next.done).toBe(false);
            const c = next.value;
            expect(c.version).toBeGreaterThan(last);
            expect(c.value?.split(':')[0]).toBe(String(seen.length));
            seen.push(c.version);
            last = c.version;
          }
          expect(seen).toEqual(written);
        } finally {
          ac.abort();
          await it.return?.();
        }
      },
      LONG_TEST_MS,
    );
  });
}
