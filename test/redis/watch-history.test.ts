/**
 * A Redis restarted without persistence starts every dict's history again (versions from 1): a
 * watch resumed from the old history, by its id or from a version the new one has not reached,
 * fails with HistoryCompactedError instead of skipping or repeating versions.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Change, connect, HistoryCompactedError } from '../../src/index.js';
import { type RedisHandle, startRedis } from '../support/services.js';
import { untilAnswers } from './helpers.js';

const SLACK_MS = 5000;

/** firstN reads `n` changes of a watch, then stops it. */
async function firstN<T>(it: AsyncIterable<Change<T>>, n: number): Promise<Change<T>[]> {
  const out: Change<T>[] = [];
  for await (const c of it) {
    out.push(c);
    if (out.length >= n) break;
  }
  return out;
}

describe('redis restarted without persistence under a resumed watch', () => {
  let server: RedisHandle;
  let url: string;
  beforeAll(async () => {
    server = await startRedis();
    url = `${server.url}?prefix=hist-${randomBytes(4).toString('hex')}:&timeoutMs=1000`;
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('a resume from the lost history fails with HistoryCompactedError', async () => {
    const a = await connect(url);
    try {
      const d = a.dict<string>('lost');
      for (let i = 1; i <= 5; i++) await d.set(`old${i}`, `old-${i}`);
      const old = await firstN(d.watch({ fromVersion: 0, signal: AbortSignal.timeout(SLACK_MS) }), 5);
      const last = old.at(-1)!;
      expect(last.version).toBe(5);

      await server.kill();
      await server.restart();
      await untilAnswers(a);
      // The new history passes the old one's version: only its identity tells them apart.
      for (let i = 1; i <= 7; i++) await d.set(`new${i}`, `new-${i}`);
      const resumed = firstN(
        d.watch({ fromVersion: last.version, history: last.history, signal: AbortSignal.timeout(SLACK_MS) }),
        1,
      );
      await expect(resumed).rejects.toBeInstanceOf(HistoryCompactedError);
      // The new history has its own id, and a resume within it works.
      const fresh = await firstN(d.watch({ fromVersion: 0, signal: AbortSignal.timeout(SLACK_MS) }), 7);
      expect(fresh[0]!.history).not.toBe(last.history);
      expect(fresh.map((c) => c.version)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    } finally {
      await a.close();
    }
  }, 60_000);

  it('a resume from a version the restarted dict has not reached fails with HistoryCompactedError', async () => {
    const a = await connect(url);
    try {
      const d = a.dict<string>('behind');
      for (let i = 1; i <= 5; i++) await d.set(`old${i}`, `old-${i}`);
      await server.kill();
      await server.restart();
      await untilAnswers(a);
      for (let i = 1; i <= 2; i++) await d.set(`new${i}`, `new-${i}`);
      const resumed = firstN(d.watch({ fromVersion: 5, signal: AbortSignal.timeout(SLACK_MS) }), 1);
      await expect(resumed).rejects.toBeInstanceOf(HistoryCompactedError);
    } finally {
      await a.close();
    }
  }, 60_000);

  it('an open watch ends with HistoryCompactedError when the dict is lost under it, never reading the new history', async () => {
    const a = await connect(url);
    const raw = new Redis({ port: server.port, host: '127.0.0.1' });
    try {
      const d = a.dict<string>('flushed');
      for (let i = 1; i <= 5; i++) await d.set(`old${i}`, `old-${i}`);
      const seen: Change<string>[] = [];
      const it = d.watch({ fromVersion: 0, signal: AbortSignal.timeout(30_000) })[Symbol.asyncIterator]();
      for (let i = 0; i < 5; i++) {
        const r = await it.next();
        if (!r.done) seen.push(r.value);
      }
      expect(seen.map((c) => c.version)).toEqual([1, 2, 3, 4, 5]);
      // The watch now waits for version 6 on a live connection; the data goes (as after a
      // FLUSHALL, or a restart the connections ride out), and a new history passes version 5.
      const outcome = it.next().then(
        (r) => (r.done ? 'ended' : `yielded ${r.value.key}@${r.value.version}`),
        (err: unknown) => err,
      );
      await raw.flushall();
      for (let i = 1; i <= 7; i++) await d.set(`new${i}`, `new-${i}`);
      expect(await outcome).toBeInstanceOf(HistoryCompactedError);
    } finally {
      raw.disconnect();
      await a.close();
    }
  }, 60_000);
});
