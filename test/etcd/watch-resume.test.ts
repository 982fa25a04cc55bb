/**
 * A dict watch survives its etcd member going away: the single member of a private etcd is
 * SIGKILLed and restarted while a watch runs, with writes before and after, and the watcher
 * sees every change exactly once, in order. Also: with etcd down, connect() and calls fail with
 * BackendUnavailableError within `timeoutMs`, and the same client works again after restart.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackendUnavailableError, type Change, connect } from '../../src/index.js';
import { type EtcdHandle, startEtcd } from '../support/services.js';
import { batonEtcdUrl } from './helpers.js';

const TIMEOUT_MS = 1_000;

describe('etcd backend across a restart of its member', () => {
  let etcd: EtcdHandle;
  let url: string;

  beforeAll(async () => {
    etcd = await startEtcd();
    url = `${batonEtcdUrl(etcd.url)}&timeoutMs=${TIMEOUT_MS}`;
  });

  afterAll(async () => {
    await etcd?.stop();
  });

  it('a watch resumes without gaps or repeats; calls fail fast while etcd is down, then recover', async () => {
    const writer = await connect(url);
    const watcher = await connect(url);
    try {
      const d = writer.dict<number>('resumed');
      const from = await d.version();
      const seen: Array<Change<number>> = [];
      const ac = new AbortController();
      const watching = (async () => {
        for await (const change of watcher
          .dict<number>('resumed')
          .watch({ fromVersion: from, signal: ac.signal })) {
          seen.push(change);
          if (change.key === 'last') return;
        }
      })();
      for (let i = 0; i < 20; i++) await d.set(`before-${i}`, i);
      await etcd.kill();

      const started = performance.now();
      const err = await d.set('down', 1).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BackendUnavailableError);
      // about the timeout, not a hang: 1 s of slack was thin for a busy 2-core machine
      expect(performance.now() - started).toBeLessThan(TIMEOUT_MS + 5_000);
      const refused = await connect(url).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(BackendUnavailableError);

      await etcd.restart();
      await eventually(() => d.set('after-0', 0), 15_000);
      for (let i = 1; i < 20; i++) await d.set(`after-${i}`, i);
      await d.set('last', -1);
      await within(watching, 20_000);
      ac.abort();
      const keys = seen.map((c) => c.key);
      const expected = [
        ...Array.from({ length: 20 }, (_, i) => `before-${i}`),
        ...Array.from({ length: 20 }, (_, i) => `after-${i}`),
        'last',
      ];
      expect(keys).toEqual(expected);
      for (let i = 1; i < seen.length; i++) expect(seen[i]!.version).toBeGreaterThan(seen[i - 1]!.version);
    } finally {
      await Promise.all([writer.close(), watcher.close()]);
    }
  }, 90_000);
});

async function eventually(call: () => Promise<unknown>, ms: number): Promise<void> {
  const deadline = performance.now() + ms;
  for (;;) {
    try {
      await call();
      return;
    } catch (err) {
      if (performance.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

async function within(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    p,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`not done within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
