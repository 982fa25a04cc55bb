/**
 * The dashboard (`GET /` of `baton serve`) in a real browser: Debian's chromium driven by
 * playwright-core, against real servers started with `startServer` on free ports.
 *
 * - On memory, Redis and etcd: a lock acquired through the API appears within 1 s with its owner,
 *   fence and a running countdown; a dict's changes appear in the feed; the release makes the lock
 *   disappear. On memory also semaphores and rwlocks, and the screenshot
 *   (test-results/dashboard.png).
 * - With auth on: the page asks for the token, refuses a wrong one, keeps the right one in
 *   sessionStorage only, never shows it, and the feed streams with it.
 * - A Redis killed under the server: a banner and greyed data while it is down, and everything
 *   live again (feed included) once it is back. On bare Redlock: "not supported by this backend"
 *   for semaphores, rwlocks and dicts, while locks are listed.
 * - Groups with their members and held partition locks, and elections with their leader, all
 *   made over REST.
 * - The page itself: a strict Content-Security-Policy, no inline code, and the loopback Host rule
 *   when auth is off.
 *
 * A missing /usr/bin/chromium fails the run with what to install; it is not a skip.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createLogger, type RunningServer, startServer } from '../../src/server/index.js';
import { randomPrefix, redlockUrl, startMasters, stopMasters } from '../redlock/helpers.js';
import { rest } from '../server/support/rest.js';
import { type RedisHandle, startRedis } from '../support/services.js';

const CHROMIUM = '/usr/bin/chromium';
/** APPEAR_MS is the bound: a lock acquired through the API shows within 1 s. */
const APPEAR_MS = 1_000;
/** OUTAGE_MS bounds how long the page may take to notice an outage or a recovery (it polls every 2 s while down). */
const OUTAGE_MS = 15_000;
const ROOT = new URL('../../', import.meta.url);
const SCREENSHOT = new URL('test-results/dashboard.png', ROOT);

const tag = randomBytes(4).toString('hex');
const logger = createLogger({ level: 'silent' });
let context: BrowserContext;
let userDataDir = '';

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: the dashboard test needs Debian's chromium (apt-get install -y chromium; .ci/run installs it)`,
    );
  }
  // Test the page as it is in src/dashboard, not a stale build.
  execFileSync(process.execPath, [new URL('scripts/build-dashboard.mjs', ROOT).pathname], { stdio: 'pipe' });
  userDataDir = mkdtempSync(join(tmpdir(), 'baton-chromium-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}, 60_000);

afterAll(async () => {
  await context?.close();
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
});

/** serve starts a real server on a free loopback port. */
function serve(backend: string, authFile?: string): Promise<RunningServer> {
  return startServer({ backend, port: 0, logger, authFile, shutdownMs: 1_000 });
}

/** open loads the dashboard in a new tab and collects the page's errors and CSP violations. */
async function open(server: RunningServer): Promise<{ page: Page; problems: string[] }> {
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    if (/Content.Security.Policy|Refused to/i.test(msg.text())) problems.push(`csp: ${msg.text()}`);
  });
  const res = await page.goto(`${server.url}/`);
  expect(res?.status()).toBe(200);
  return { page, problems };
}

/** secondsLeft reads a countdown cell ("29.4 s", "4 min 3 s") in seconds. */
function secondsLeft(text: string | null): number {
  const m = /^(?:(\d+) min )?(\d+(?:\.\d)?) s$/.exec(text ?? '');
  if (!m) throw new Error(`not a countdown: ${JSON.stringify(text)}`);
  return Number(m[1] ?? 0) * 60 + Number(m[2]);
}

/** lockAppears acquires `name` through the API and waits for its row; it returns the grant. */
async function lockAppears(page: Page, url: string, name: string, headers: Record<string, string> = {}) {
  const r = await rest(url, 'POST', `/v1/locks/${name}/acquire`, {
    json: { ttlMs: 30_000, owner: 'worker-7' },
    headers,
  });
  expect(r.status, r.text).toBe(200);
  const grant = r.json as { token: string; fence: number };
  const row = page.locator(`#locks tr[data-name="${name}"]`);
  const started = performance.now();
  await row.waitFor({ timeout: APPEAR_MS });
  const cells = await row.locator('td').allTextContents();
  expect(cells.slice(0, 3)).toEqual([name, 'worker-7', String(grant.fence)]);
  expect(secondsLeft(cells[3] ?? null)).toBeGreaterThan(20);
  return { grant, row, shownAfterMs: performance.now() - started };
}

/** watchDict starts the feed on `dict` from its row in the dict table and waits until it is live. */
async function watchDict(page: Page, dict: string): Promise<void> {
  // The dict table is redrawn by each poll round; on a loaded machine a click can meet a
  // detached row several times before one lands, so the wait is long (it only ends a hang).
  await page.locator(`#dicts button[data-watch="${dict}"]`).click({ timeout: 30_000 });
  await page.locator('#feed-section[data-state="live"]').waitFor({ timeout: 30_000 });
}

describe.each([
  ['memory', () => `memory://dashboard-${tag}`],
  ['redis', () => `${inject('redisUrl')}?prefix=dashboard-${tag}:`],
  ['etcd', () => `${inject('etcdUrl')}?prefix=dashboard-${tag}`],
])('dashboard on %s', (backendName, backend) => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await serve(backend());
  });
  afterAll(() => server?.close());

  it('shows a lock within 1 s, its countdown, a dict feed, and drops the lock on release', async () => {
    const { page, problems } = await open(server);
    try {
      await page.locator('#locks-section[data-state="ok"]').waitFor({ timeout: 5_000 });
      const { grant, row, shownAfterMs } = await lockAppears(page, server.url, 'nightly.report');
      console.log(`${backendName}: lock shown ${Math.round(shownAfterMs)} ms after its grant`);

      const before = secondsLeft(await row.locator('td').nth(3).textContent());
      await page.waitForTimeout(1_200);
      expect(secondsLeft(await row.locator('td').nth(3).textContent())).toBeLessThan(before);

      const dict = 'jobs';
      const put = (key: string, value: unknown) =>
        rest(server.url, 'PUT', `/v1/dicts/${dict}/keys/${key}`, { json: value });
      expect((await put('job-1', { state: 'queued' })).status).toBeLessThan(300);
      await page.locator(`#dicts tr[data-name="${dict}"]`).waitFor({ timeout: 5_000 });
      await watchDict(page, dict);
      expect((await put('job-2', { state: 'running', worker: 7 })).status).toBeLessThan(300);
      const change = page.locator('#feed tr[data-key="job-2"][data-type="set"]');
      await change.waitFor({ timeout: 5_000 });
      expect(await change.locator('td.value').textContent()).toBe('{"state":"running","worker":7}');
      expect((await rest(server.url, 'DELETE', `/v1/dicts/${dict}/keys/job-1`)).status).toBe(204);
      await page.locator('#feed tr[data-key="job-1"][data-type="delete"]').waitFor({ timeout: 5_000 });
      await expect
        .poll(async () => page.locator(`#dicts tr[data-name="${dict}"] td`).nth(1).textContent(), {
          timeout: 5_000,
        })
        .toBe('1');

      if (backendName === 'memory') {
        const sem = await rest(server.url, 'POST', '/v1/semaphores/render.pool/acquire', {
          json: { permits: 3, count: 2, ttlMs: 30_000, owner: 'renderer' },
        });
        expect(sem.status, sem.text).toBe(200);
        const rw = await rest(server.url, 'POST', '/v1/rwlocks/config/acquire', {
          json: { mode: 'read', ttlMs: 30_000, owner: 'reader-1' },
        });
        expect(rw.status, rw.text).toBe(200);
        const semRow = page.locator('#semaphores tr[data-name="render.pool"]');
        await semRow.waitFor({ timeout: APPEAR_MS * 2 });
        expect(await semRow.locator('td').nth(1).textContent()).toBe('2 / 3');
        const rwRow = page.locator('#rwlocks tr[data-name="config"]');
        await rwRow.waitFor({ timeout: APPEAR_MS * 2 });
        expect((await rwRow.locator('td').allTextContents()).slice(0, 2)).toEqual(['config', 'read']);
        mkdirSync(new URL('test-results/', ROOT), { recursive: true });
        await page.screenshot({ path: SCREENSHOT.pathname, fullPage: true });
        expect(existsSync(SCREENSHOT)).toBe(true);
      }

      expect(await page.content()).not.toContain(grant.token);
      const released = await rest(server.url, 'POST', '/v1/locks/nightly.report/release', {
        json: { token: grant.token },
      });
      expect(released.json).toEqual({ released: true });
      await row.waitFor({ state: 'detached', timeout: APPEAR_MS });
      expect(problems).toEqual([]);
    } finally {
      await page.close();
    }
  });
});

describe('dashboard with auth on', () => {
  const secret = `dashboard-secret-${randomBytes(12).toString('hex')}`;
  let dir = '';
  let server: RunningServer;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'baton-dashboard-'));
    const file = join(dir, 'tokens.json');
    writeFileSync(
      file,
      JSON.stringify({
        tokens: [
          { name: 'ops', token: secret, rights: ['read', 'write', 'lock'], locks: ['*'], dicts: ['*'] },
        ],
      }),
    );
    server = await serve(`memory://dashboard-auth-${tag}`, file);
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('asks for the token, refuses a wrong one, keeps the right one in sessionStorage only', async () => {
    const auth = { authorization: `Bearer ${secret}` };
    const { page, problems } = await open(server);
    const sent: string[] = [];
    page.on('request', (r) => sent.push(r.url()));
    try {
      await page.locator('#auth').waitFor({ state: 'visible', timeout: 5_000 });
      expect(await page.locator('#locks-note').textContent()).toContain('bearer token');

      await page.fill('#token', 'not-the-right-token-at-all');
      await page.click('#auth button[type="submit"]');
      await page.locator('#auth-message').filter({ hasText: 'refused' }).waitFor({ timeout: 5_000 });
      expect(await page.evaluate('sessionStorage.getItem("baton.token")')).toBeNull();

      await page.fill('#token', secret);
      await page.click('#auth button[type="submit"]');
      await page.locator('#auth').waitFor({ state: 'hidden', timeout: 5_000 });
      expect(await page.locator('#token').inputValue()).toBe('');
      expect(await page.evaluate('sessionStorage.getItem("baton.token")')).toBe(secret);
      expect(await page.evaluate('localStorage.length')).toBe(0);

      await lockAppears(page, server.url, 'secured.lock', auth);
      expect(
        (await rest(server.url, 'PUT', '/v1/dicts/secured/keys/a', { json: 1, headers: auth })).status,
      ).toBeLessThan(300);
      await page.locator('#dicts tr[data-name="secured"]').waitFor({ timeout: 5_000 });
      await watchDict(page, 'secured');
      await rest(server.url, 'PUT', '/v1/dicts/secured/keys/b', { json: 2, headers: auth });
      await page.locator('#feed tr[data-key="b"]').waitFor({ timeout: 5_000 });

      // A reload keeps the session's token; it is never in the page or in a URL.
      await page.reload();
      await page.locator('#locks tr[data-name="secured.lock"]').waitFor({ timeout: 5_000 });
      expect(await page.locator('#auth').isHidden()).toBe(true);
      expect(await page.content()).not.toContain(secret);
      expect(sent.filter((u) => u.includes(secret))).toEqual([]);

      await page.click('#forget');
      await page.locator('#auth').waitFor({ state: 'visible', timeout: 5_000 });
      expect(await page.evaluate('sessionStorage.getItem("baton.token")')).toBeNull();
      expect(problems).toEqual([]);
    } finally {
      await page.close();
    }
  });
});

describe('dashboard when the backend goes away', () => {
  let redis: RedisHandle;
  let server: RunningServer;
  beforeAll(async () => {
    redis = await startRedis({ appendonly: true, appendfsync: 'always' });
    server = await serve(`${redis.url}?timeoutMs=500`);
  });
  afterAll(async () => {
    await server?.close();
    await redis?.stop();
  });

  it('shows a banner and greys the data while Redis is down, and is live again once it is back', async () => {
    const { page } = await open(server);
    try {
      await lockAppears(page, server.url, 'before.outage');
      await rest(server.url, 'PUT', '/v1/dicts/events/keys/first', { json: 1 });
      await page.locator('#dicts tr[data-name="events"]').waitFor({ timeout: 5_000 });
      await watchDict(page, 'events');

      await redis.kill();
      const banner = page.locator('#banner[data-state="backend-down"]');
      await banner.waitFor({ state: 'visible', timeout: OUTAGE_MS });
      expect(await banner.textContent()).toMatch(/Backend unavailable: .+ Retrying/);
      await page.locator('#locks-section.stale').waitFor({ timeout: OUTAGE_MS });
      expect(await page.locator('#locks-note').textContent()).toContain('Backend unavailable');
      // The last rows stay, greyed, rather than vanishing.
      expect(await page.locator('#locks tr[data-name="before.outage"]').count()).toBe(1);
      await page.locator('#feed-section[data-state="retrying"]').waitFor({ timeout: OUTAGE_MS });

      await redis.restart();
      await page.locator('#banner').waitFor({ state: 'hidden', timeout: OUTAGE_MS });
      await page.locator('#locks-section:not(.stale)').waitFor({ timeout: OUTAGE_MS });
      await lockAppears(page, server.url, 'after.outage');
      await page.locator('#feed-section[data-state="live"]').waitFor({ timeout: OUTAGE_MS });
      await rest(server.url, 'PUT', '/v1/dicts/events/keys/second', { json: 2 });
      await page.locator('#feed tr[data-key="second"][data-type="set"]').waitFor({ timeout: 5_000 });
    } finally {
      await page.close();
    }
  });
});

describe('dashboard on bare redlock://', () => {
  let masters: RedisHandle[] = [];
  let server: RunningServer;
  beforeAll(async () => {
    masters = await startMasters(3);
    server = await serve(redlockUrl(masters, { prefix: randomPrefix('dashboard') }));
  });
  afterAll(async () => {
    await server?.close();
    await stopMasters(masters);
  });

  it('lists locks and says plainly what this backend does not support', async () => {
    const { page, problems } = await open(server);
    try {
      for (const section of ['semaphores', 'rwlocks', 'dicts']) {
        await page.locator(`#${section}-section[data-state="unsupported"]`).waitFor({ timeout: 5_000 });
        expect(await page.locator(`#${section}-note`).textContent()).toMatch(
          /^Not supported by this backend/,
        );
      }
      await lockAppears(page, server.url, 'quorum.lock');
      expect(await page.locator('#banner').isHidden()).toBe(true);
      expect(problems).toEqual([]);
    } finally {
      await page.close();
    }
  });
});

describe('the page itself', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await serve(`memory://dashboard-page-${tag}`);
  });
  afterAll(() => server?.close());

  /** get sends a GET with a chosen Host header (fetch does not let a caller set Host). */
  function get(
    path: string,
    host: string,
  ): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
    const { port } = new URL(server.url);
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path, headers: { host } }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  it('shows groups with their members and held partitions, and each election with its leader', async () => {
    // All over REST: two members join, one holds partition 0's lock, a campaigner wins the
    // election as docs/REST.md describes (lock, then a fenced put of the leader entry).
    for (const id of ['m1', 'm2']) {
      expect(
        (await rest(server.url, 'PUT', `/v1/groups/fleet/members/${id}`, { json: { ttlMs: 30_000 } })).status,
      ).toBe(201);
    }
    const p0 = await rest(server.url, 'POST', '/v1/locks/_baton.partition:fleet:0/acquire', {
      json: { ttlMs: 30_000, owner: 'm1' },
    });
    const won = await rest(server.url, 'POST', '/v1/locks/_baton.election:primary/acquire', {
      json: { ttlMs: 30_000 },
    });
    const fence = String(won.json.fence);
    const put = await rest(server.url, 'PUT', '/v1/dicts/_baton.elections/keys/primary?ttlMs=30000', {
      json: { value: 'node-a', fence: won.json.fence },
      headers: { 'baton-fence-lock': '_baton.election:primary', 'baton-fence': fence },
    });
    expect(put.status, put.text).toBe(200);
    expect((await rest(server.url, 'GET', '/v1/elections/primary')).json).toEqual({
      value: 'node-a',
      fence: won.json.fence,
    });

    const { page, problems } = await open(server);
    try {
      const group = page.locator('#groups tr[data-name="fleet"]');
      await group.waitFor({ timeout: 5_000 });
      expect(await group.locator('td').allTextContents()).toEqual([
        'fleet',
        'm1, m2',
        `0: m1 (fence ${p0.json.fence})`,
      ]);
      const election = page.locator('#elections tr[data-name="primary"]');
      await election.waitFor({ timeout: 5_000 });
      expect(await election.locator('td').allTextContents()).toEqual(['primary', '"node-a"', fence]);
      expect(problems).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('has a strict CSP and no inline code; with auth off only loopback Host names are served', async () => {
    const page = await get('/', `127.0.0.1:${new URL(server.url).port}`);
    expect(page.status).toBe(200);
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe');
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(page.body).not.toMatch(/\son[a-z]+=|\sstyle=|javascript:/i);

    const script = await get('/dashboard/app.js', 'localhost');
    expect(script.status).toBe(200);
    expect(String(script.headers['content-type'])).toMatch(/javascript/);

    for (const path of ['/', '/dashboard/app.js']) {
      const foreign = await get(path, 'dashboard.attacker.example');
      expect(foreign.status).toBe(403);
      expect(foreign.body).toContain('loopback');
    }
    expect((await get('/dashboard/../package.json', 'localhost')).status).toBe(404);
    expect((await get('/dashboard/missing.js', 'localhost')).status).toBe(404);
  });
});
