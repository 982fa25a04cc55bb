/**
 * Caps on watch streams: past `maxWatchesPerToken` (per token; per client address with auth off)
 * or `maxWatches` (in all) a watch is refused with 429 `too_many_watches` and a problem body, and
 * a slot is free again once its client goes away.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, uniqueName } from '../conformance/harness.js';
import { startTestServer, type TestServer } from './support/server.js';

let perToken: TestServer;
let total: TestServer;
beforeAll(async () => {
  [perToken, total] = await Promise.all([
    startTestServer('memory://watch-caps', { limits: { maxWatchesPerToken: 2 }, logLevel: 'warn' }),
    startTestServer('memory://watch-caps-total', { limits: { maxWatches: 3 }, logLevel: 'warn' }),
  ]);
});
afterAll(() => Promise.all([perToken.stop(), total.stop()]));

/** open starts a watch and returns its status and a way to end it (the body is left unread). */
async function open(
  s: TestServer,
  dict: string,
): Promise<{ status: number; body: unknown; close: () => void }> {
  const ac = new AbortController();
  const res = await fetch(`${s.url}/v1/dicts/${dict}/watch`, { signal: ac.signal });
  const body = res.status === 200 ? undefined : await res.json();
  return { status: res.status, body, close: () => ac.abort() };
}

describe('watch caps', () => {
  it('the per-token cap refuses the next watch with 429 too_many_watches; a closed watch frees its slot', async () => {
    const dict = uniqueName('dict');
    const a = await open(perToken, dict);
    const b = await open(perToken, uniqueName('dict'));
    expect([a.status, b.status]).toEqual([200, 200]);
    const c = await open(perToken, dict);
    expect(c.status).toBe(429);
    expect(c.body).toMatchObject({ code: 'too_many_watches', status: 429, limit: 2 });
    a.close();
    let d: Awaited<ReturnType<typeof open>> | undefined;
    await eventually(
      async () => {
        d = await open(perToken, dict);
        return d.status === 200;
      },
      10_000,
      'a watch opening after one was closed',
    );
    b.close();
    d?.close();
  });

  it('the cap in all refuses the next watch with 429 too_many_watches', async () => {
    const open3 = await Promise.all([1, 2, 3].map(() => open(total, uniqueName('dict'))));
    expect(open3.map((w) => w.status)).toEqual([200, 200, 200]);
    const fourth = await open(total, uniqueName('dict'));
    expect(fourth.status).toBe(429);
    expect(fourth.body).toMatchObject({ code: 'too_many_watches', limit: 3 });
    for (const w of open3) w.close();
  });
});
