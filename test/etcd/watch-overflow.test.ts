/**
 * etcd pushes a watch's changes; a consumer that stops reading must not make the client hold
 * them without bound. With `watchBufferBytes` 64 KiB and 400 kB written past a stalled watcher,
 * the watch ends with WatchOverflowError after at most the buffer's worth of changes, naming the
 * last version the consumer took, and a new watch from there sees every later version once.
 */
import { describe, expect, inject, it } from 'vitest';
import { type Change, connect, WatchOverflowError } from '../../src/index.js';
import { SLACK_MS, within } from '../conformance/harness.js';
import { batonEtcdUrl } from './helpers.js';

const BUFFER = 64 * 1024;
const WRITES = 40;
const VALUE = 'x'.repeat(10_000);

describe('etcd watch buffer', () => {
  it('a stalled watcher ends with WatchOverflowError within its bound, then resumes from lastVersion without a gap', async () => {
    const url = batonEtcdUrl(inject('etcdUrl'));
    const writer = await connect(url);
    const reader = await connect(url, { watchBufferBytes: BUFFER });
    const ac = new AbortController();
    try {
      const d = writer.dict<string>('stalled');
      const from = await d.set('start', 'go');
      const it = reader
        .dict<string>('stalled')
        .watch({ fromVersion: from, signal: ac.signal })
        [Symbol.asyncIterator]();
      const written = [await d.set('k', 'first')];
      expect((await within(it.next(), SLACK_MS, 'the first change')).value?.version).toBe(written[0]);
      for (let i = 1; i <= WRITES; i++) written.push(await d.set(`k${i % 5}`, `${i}:${VALUE}`));

      let taken = 0;
      let error: unknown;
      try {
        for (;;) {
          const next = await within(it.next(), SLACK_MS, 'the next change or the overflow');
          if (next.done) break;
          taken++;
        }
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(WatchOverflowError);
      const overflow = error as WatchOverflowError;
      expect(overflow.retryable).toBe(true);
      expect(overflow.limitBytes).toBe(BUFFER);
      expect(taken).toBeLessThanOrEqual(Math.ceil(BUFFER / VALUE.length) + 1);
      expect(overflow.lastVersion).toBe(written[taken]);

      // Each new watch replays the rest at once; it may overflow again, but always progresses.
      const rest: Array<Change<string>> = [];
      let last = overflow.lastVersion;
      while (last < written[WRITES]!) {
        try {
          for await (const c of reader
            .dict<string>('stalled')
            .watch({ fromVersion: last, signal: ac.signal })) {
            rest.push(c);
            last = c.version;
            if (last === written[WRITES]) break;
          }
        } catch (err) {
          expect(err).toBeInstanceOf(WatchOverflowError);
          expect((err as WatchOverflowError).lastVersion).toBe(last);
        }
      }
      expect(rest.map((c) => c.version)).toEqual(written.slice(taken + 1));
    } finally {
      ac.abort();
      await Promise.all([writer.close(), reader.close()]);
    }
  }, 60_000);
});
