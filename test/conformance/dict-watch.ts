/**
 * Watch: from a version (exclusive), every later change — set, delete, incr, batch, clear — comes
 * exactly once, in version order, to every watcher, also under a key prefix; resuming from the
 * last version seen after breaking out loses and repeats nothing; a watch "from now" sees no
 * older change; history that is gone fails with HistoryCompactedError; aborting the signal or
 * closing the client ends a waiting watch.
 */
import { describe, expect, it } from 'vitest';
import {
  type Baton,
  type Change,
  HistoryCompactedError,
  InvalidArgumentError,
  type SharedDict,
} from '../../src/index.js';
import { collect, type Harness, SLACK_MS, sleep, uniqueName, useClients, within } from './harness.js';

type Seen = Pick<Change<unknown>, 'type' | 'key' | 'value' | 'version'>;

/** canonical checks that versions never go down, then orders changes within one version by key. */
function canonical(changes: readonly Seen[]): Seen[] {
  for (let i = 1; i < changes.length; i++)
    expect(changes[i]!.version).toBeGreaterThanOrEqual(changes[i - 1]!.version);
  const out = changes.map(({ type, key, value, version }) => ({ type, key, value, version }));
  return out.sort((x, y) => x.version - y.version || (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
}

/** watchFrom opens `d.watch` from `fromVersion` (under `prefix`) on the signal `collect` passes. */
function watchFrom(
  d: SharedDict<unknown>,
  fromVersion: number | undefined,
  prefix?: string,
): (signal: AbortSignal) => AsyncIterable<Change<unknown>> {
  return (signal: AbortSignal) => d.watch({ fromVersion, prefix, signal });
}

/** changeEverything makes one change of each kind and returns what a watcher under `prefix` should see. */
async function changeEverything(d: SharedDict<unknown>, prefix = ''): Promise<Seen[]> {
  const p = (k: string) => `${prefix}${k}`;
  const seen: Seen[] = [];
  seen.push({ type: 'set', key: p('a'), value: 1, version: await d.set(p('a'), 1) });
  seen.push({ type: 'set', key: p('b'), value: { n: 2 }, version: await d.set(p('b'), { n: 2 }) });
  await d.incr(p('c'), 5);
  seen.push({ type: 'set', key: p('c'), value: 5, version: (await d.getEntry(p('c')))!.version });
  await d.delete(p('a'));
  seen.push({ type: 'delete', key: p('a'), value: undefined, version: await d.version() });
  const vb = await d.batch([
    { op: 'set', key: p('d'), value: 'D' },
    { op: 'delete', key: p('b') },
  ]);
  seen.push(
    { type: 'set', key: p('d'), value: 'D', version: vb },
    { type: 'delete', key: p('b'), value: undefined, version: vb },
  );
  const keys = (await d.keys()).filter((k) => k.startsWith(prefix));
  await d.clear();
  const vc = await d.version();
  for (const key of keys) seen.push({ type: 'delete', key, value: undefined, version: vc });
  seen.push({ type: 'set', key: p('z'), value: 'marker', version: await d.set(p('z'), 'marker') });
  return canonical(seen);
}

/** dictWatchTests registers the watch tests. */
export function dictWatchTests(h: Harness): void {
  describe('dict: watch', () => {
    const clients = useClients(h);

    it('from a version, every later change comes exactly once, in order, to every watcher', async () => {
      const [a, b, c] = await clients.many(3);
      const d = a.dict<unknown>(uniqueName('dict'));
      await d.set('before', 0);
      const from = await d.version();
      const expected = await changeEverything(d);
      const [one, two] = await Promise.all([
        collect(watchFrom(b.dict(d.name), from), expected.length, SLACK_MS),
        collect(watchFrom(c.dict(d.name), from), expected.length, SLACK_MS),
      ]);
      expect(canonical(one)).toEqual(expected);
      expect(canonical(two)).toEqual(expected);
    });

    it('under a prefix, only changes to keys with that prefix come', async () => {
      const [a, b] = await clients.many(2);
      const d = a.dict<unknown>(uniqueName('dict'));
      const from = await d.version();
      await d.set('q/1', 'other');
      await d.set('p', 'not under p/');
      const expected = await changeEverything(d, 'p/');
      const got = await collect(watchFrom(b.dict(d.name), from, 'p/'), expected.length, SLACK_MS);
      expect(canonical(got)).toEqual(expected);
    });

    it('resuming from the last version seen loses nothing and repeats nothing', async () => {
      const [a, b] = await clients.many(2);
      const d = a.dict<unknown>(uniqueName('dict'));
      const from = await d.version();
      for (const k of ['w1', 'w2', 'w3']) await d.set(k, k);
      const first = await collect(watchFrom(b.dict(d.name), from), 3, SLACK_MS); // then breaks out
      await d.set('w4', 'w4');
      await d.delete('w1');
      await d.batch([
        { op: 'set', key: 'w5', value: 'w5' },
        { op: 'set', key: 'w6', value: 'w6' },
      ]);
      await d.incr('w7');
      const rest = await collect(watchFrom(b.dict(d.name), first.at(-1)!.version), 5, SLACK_MS);
      const whole = await collect(watchFrom(b.dict(d.name), from), 8, SLACK_MS);
      expect(canonical([...first, ...rest])).toEqual(canonical(whole));
      expect(rest.map((c) => c.key).sort()).toEqual(['w1', 'w4', 'w5', 'w6', 'w7']);
    });

    it('a watch without fromVersion starts now: no older change comes', async () => {
      const [a, b] = await clients.many(2);
      const d = a.dict<number>(uniqueName('dict'));
      await d.set('old', 1);
      const ac = new AbortController();
      const iterator = b.dict<number>(d.name).watch({ signal: ac.signal })[Symbol.asyncIterator]();
      let arrived = false;
      const first = iterator.next();
      first.then(
        () => (arrived = true),
        () => (arrived = true),
      );
      // The watch announces nothing when it is in place, so keep writing until it sees a write.
      for (let i = 0; !arrived && i < 200; i++) {
        await d.set('new', i);
        await sleep(25);
      }
      const result = await within(first, SLACK_MS, 'first change');
      expect(result.done).toBe(false);
      expect(result.value).toMatchObject({ type: 'set', key: 'new' });
      await iterator.return(undefined);
    });

    it('a watch from history that is gone fails with HistoryCompactedError', async (ctx) => {
      if (!h.compact && !h.connectCompacting)
        ctx.skip(`${h.name}: the harness gives neither compact() nor connectCompacting()`);
      const b: Baton = h.compact ? await clients.one() : (await clients.compacting())!;
      const d = b.dict<unknown>(uniqueName('dict'));
      let writes = 5;
      if (!h.compact) {
        const limit = b.capabilities.dicts.historyLimit;
        expect(limit, 'connectCompacting() must report capabilities.dicts.historyLimit').toBeLessThanOrEqual(
          1000,
        );
        writes = limit! + 5;
      }
      for (let i = 0; i < writes; i++) await d.set('k', i);
      await h.compact?.(d.name);
      const err = await collect(watchFrom(d, 0), 1, SLACK_MS).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HistoryCompactedError);
      expect(err).toMatchObject({ code: 'history_compacted', fromVersion: 0 });
      const now = await d.version();
      const v = await d.set('k', -1);
      expect(await collect(watchFrom(d, now), 1, SLACK_MS)).toMatchObject([
        { type: 'set', key: 'k', value: -1, version: v },
      ]);
    });

    it('every change names its history; resuming with that history loses and repeats nothing', async () => {
      const [a, b] = await clients.many(2);
      const d = a.dict<unknown>(uniqueName('dict'));
      const from = await d.version();
      await d.set('h1', 1);
      await d.set('h2', 2);
      const first = await collect(watchFrom(b.dict(d.name), from), 2, SLACK_MS);
      const history = first[0]!.history;
      expect(typeof history).toBe('string');
      expect(history!.length).toBeGreaterThan(0);
      expect(first[1]!.history).toBe(history);
      expect((await d.entries()).history).toBe(history);
      await d.set('h3', 3);
      const v4 = await d.set('h4', 4);
      const rest = await collect(
        (signal) => b.dict(d.name).watch({ fromVersion: first[1]!.version, history, signal }),
        2,
        SLACK_MS,
      );
      expect(rest.map((c) => [c.key, c.history])).toEqual([
        ['h3', history],
        ['h4', history],
      ]);
      expect(rest[1]!.version).toBe(v4);
    });

    it('a resume naming another history fails with HistoryCompactedError', async () => {
      const b = await clients.one();
      const d = b.dict<unknown>(uniqueName('dict'));
      for (let i = 0; i < 3; i++) await d.set('k', i);
      const err = await collect(
        (signal) => d.watch({ fromVersion: 1, history: 'not-this-history', signal }),
        1,
        SLACK_MS,
      ).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HistoryCompactedError);
      expect(err).toMatchObject({ code: 'history_compacted', fromVersion: 1 });
      for (const history of ['', 'has space', 'x'.repeat(129), 7]) {
        const bad = await d
          .watch({ fromVersion: 1, history: history as string })
          [Symbol.asyncIterator]()
          .next()
          .catch((e: unknown) => e);
        expect(bad).toBeInstanceOf(InvalidArgumentError);
      }
    });

    it('a resume from a version the dict has not reached fails with HistoryCompactedError', async () => {
      const b = await clients.one();
      const d = b.dict<unknown>(uniqueName('dict'));
      await d.set('k', 0);
      // Far ahead: etcd's versions are global revisions, which other tests advance meanwhile.
      const ahead = (await d.version()) + 1_000_000_000;
      const err = await collect(watchFrom(d, ahead), 1, SLACK_MS).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HistoryCompactedError);
      expect(err).toMatchObject({ code: 'history_compacted', fromVersion: ahead });
      const never = b.dict<unknown>(uniqueName('dict'));
      const err0 = await collect(watchFrom(never, ahead), 1, SLACK_MS).catch((e: unknown) => e);
      expect(err0).toBeInstanceOf(HistoryCompactedError);
    });

    it('aborting its signal or closing the client ends a waiting watch', async () => {
      const [a, b] = await clients.many(2);
      const name = uniqueName('dict');
      const ac = new AbortController();
      const aborted = a.dict(name).watch({ signal: ac.signal })[Symbol.asyncIterator]().next();
      const closed = b.dict(name).watch()[Symbol.asyncIterator]().next();
      const settle = (p: Promise<unknown>) =>
        p.then(
          () => 'ended',
          () => 'ended',
        );
      await sleep(50);
      ac.abort(new Error('stop watching'));
      expect(await within(settle(aborted), SLACK_MS, 'aborted watch ends')).toBe('ended');
      await b.close();
      expect(await within(settle(closed), SLACK_MS, 'watch ends on close')).toBe('ended');
    });
  });
}
