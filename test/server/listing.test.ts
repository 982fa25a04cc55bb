/**
 * Listings as a narrow token sees them: the token's name patterns apply before `limit`, so a page
 * holds `limit` names it may read when there are that many, and the cursor pages through every
 * such name exactly once — for held locks, semaphores, rwlocks and dicts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTokenFile } from '../../src/server/index.js';
import { uniqueName } from '../conformance/harness.js';
import { rest } from './support/rest.js';
import { startTestServer, type TestServer } from './support/server.js';

const NARROW = 'narrow-secret-0123456789';
const FILE = JSON.stringify({
  tokens: [{ name: 'narrow', token: NARROW, rights: ['read'], locks: ['*-mine-*'], dicts: ['*-mine-*'] }],
});
const as = { authorization: `Bearer ${NARROW}` };

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer('memory://server-listing', {
    auth: { mode: 'tokens', tokens: parseTokenFile(FILE) },
    logLevel: 'warn',
  });
});
afterAll(() => s.stop());

/** pageAll reads `path` page by page with `limit`, returning every page's names. */
async function pageAll(path: string, field: string, limit: number): Promise<string[][]> {
  const pages: string[][] = [];
  let cursor: string | undefined;
  for (let i = 0; i < 50; i++) {
    const q = `${path}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`;
    const r = await rest(s.url, 'GET', q, { headers: as });
    expect(r.status, r.text).toBe(200);
    pages.push((r.json[field] as Array<{ name: string }>).map((x) => x.name));
    cursor = r.json.cursor as string | undefined;
    if (cursor === undefined) return pages;
  }
  throw new Error('the cursor never ended');
}

describe('listings filtered by the token before the page size', () => {
  it('a narrow token gets full pages and pages through every name it may read once', async () => {
    const p = uniqueName('p');
    const mine = Array.from({ length: 7 }, (_, i) => `${p}-mine-${i}`);
    // Names the token may not read sort before and among its own.
    const others = [
      ...Array.from({ length: 10 }, (_, i) => `${p}-a-${i}`),
      ...Array.from({ length: 5 }, (_, i) => `${p}-mine-${i}x`.replace('-mine-', '-mind-')),
    ];
    for (const name of [...others, ...mine]) {
      await s.baton.lock(name).acquire({ ttlMs: 60_000 });
      await s.baton.semaphore(name, { permits: 2 }).acquire({ ttlMs: 60_000 });
      await s.baton.rwlock(name).read({ ttlMs: 60_000 });
      await s.baton.dict(name).set('k', 1);
    }
    for (const [path, field] of [
      ['/v1/locks', 'locks'],
      ['/v1/semaphores', 'semaphores'],
      ['/v1/rwlocks', 'rwlocks'],
      ['/v1/dicts', 'dicts'],
    ] as const) {
      const pages = await pageAll(`${path}?prefix=${p}`, field, 3);
      expect({ path, pages }).toEqual({ path, pages: [mine.slice(0, 3), mine.slice(3, 6), mine.slice(6)] });
    }
  });

  it('stops at maxListScan names read and says the listing was truncated', async () => {
    const small = await startTestServer('memory://server-listing-small', {
      auth: { mode: 'tokens', tokens: parseTokenFile(FILE) },
      limits: { maxListScan: 5 },
      logLevel: 'warn',
    });
    try {
      const p = uniqueName('p');
      for (let i = 0; i < 10; i++) await small.baton.lock(`${p}-a-${i}`).acquire({ ttlMs: 60_000 });
      await small.baton.lock(`${p}-mine-0`).acquire({ ttlMs: 60_000 });
      const r = await rest(small.url, 'GET', `/v1/locks?prefix=${p}&limit=2`, { headers: as });
      expect(r.json).toEqual({ locks: [], truncated: true });
    } finally {
      await small.stop();
    }
  });
});
