/**
 * Groups and elections over REST: a REST member (join / heartbeat / leave, nothing kept by the
 * server) and a library member are in one group and see each other, in the member list, in the
 * partition assignment and in each other's watch; heartbeat at a stale version is 412; bad input
 * is a typed 400 that writes nothing; a token without the right gets 403 before its body is read;
 * an election's leader and its changes are readable and observable over SSE.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assignPartitions, groupDict } from '../../src/index.js';
import { parseTokenFile } from '../../src/server/index.js';
import { uniqueName } from '../conformance/harness.js';
import { expectProblem, rest } from './support/rest.js';
import { startTestServer, type TestServer } from './support/server.js';

const WORKER = 'group-worker-secret-0123';
const READER = 'group-reader-secret-0123';
const FILE = JSON.stringify({
  tokens: [
    {
      name: 'workers',
      token: WORKER,
      rights: ['read', 'write'],
      locks: ['*'],
      dicts: ['_baton.group:jobs*'],
    },
    {
      name: 'reader',
      token: `sha256:${createHash('sha256').update(READER).digest('hex')}`,
      rights: ['read'],
      locks: ['_baton.election:*'],
      dicts: ['_baton.group:*'],
    },
  ],
});
const as = (token: string) => ({ authorization: `Bearer ${token}` });

let s: TestServer;
let authed: TestServer;
beforeAll(async () => {
  [s, authed] = await Promise.all([
    startTestServer('memory://server-groups', { logLevel: 'warn', limits: { maxWatches: 2 } }),
    startTestServer('memory://server-groups-auth', {
      logLevel: 'warn',
      auth: { mode: 'tokens', tokens: parseTokenFile(FILE) },
    }),
  ]);
});
afterAll(() => Promise.all([s.stop(), authed.stop()]));

/** sse reads a stream until `done(events)`; each event is { event, data, id }. */
async function sse(url: string, done: (evs: Ev[]) => boolean, onOpen?: () => Promise<void>, ms = 5_000) {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), ms);
  const res = await fetch(url, { signal: ac.signal });
  const evs: Ev[] = [];
  let text = '';
  let opened = false;
  try {
    const decoder = new TextDecoder();
    for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
      text += decoder.decode(chunk, { stream: true });
      let cut = text.indexOf('\n\n');
      while (cut >= 0) {
        const block = text.slice(0, cut);
        text = text.slice(cut + 2);
        cut = text.indexOf('\n\n');
        const f = Object.fromEntries(
          block
            .split('\n')
            .filter((l) => !l.startsWith(':'))
            .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)]),
        );
        if (f.event) evs.push({ event: f.event, id: f.id, data: JSON.parse(f.data ?? '{}') });
      }
      if (!opened && onOpen) {
        opened = true;
        await onOpen();
      }
      if (done(evs)) break;
    }
  } catch {
    // aborted at the time limit
  } finally {
    clearTimeout(timer);
    ac.abort();
  }
  return { status: res.status, evs };
}
interface Ev {
  event: string;
  id?: string;
  data: Record<string, unknown>;
}

describe('groups over REST', () => {
  it('a REST member and a library member see each other, with the same partition assignment', async () => {
    const name = uniqueName('g');
    const lib = await s.baton.group(name).join({ id: 'lib-1', meta: { host: 'a' }, ttlMs: 5_000 });
    const joined = await rest(s.url, 'PUT', `/v1/groups/${name}/members/rest-1`, {
      json: { meta: { host: 'b' }, ttlMs: 5_000 },
    });
    expect(joined.status).toBe(201);
    expect(joined.json).toMatchObject({ id: 'rest-1', ttlMs: 5_000 });

    const listed = await rest(s.url, 'GET', `/v1/groups/${name}/members?partitions=8`);
    expect(listed.json.members).toEqual([
      { id: 'lib-1', meta: { host: 'a' } },
      { id: 'rest-1', meta: { host: 'b' } },
    ]);
    expect(await s.baton.group(name).members()).toEqual([
      { id: 'lib-1', meta: { host: 'a' } },
      { id: 'rest-1', meta: { host: 'b' } },
    ]);
    const libView = await s.baton.group(name).assignment(8);
    expect(listed.json.assignment).toEqual(libView);
    expect(libView).toEqual(assignPartitions(8, ['lib-1', 'rest-1']));
    expect(new Set(libView)).toEqual(new Set(['lib-1', 'rest-1']));

    // Heartbeat: CAS on the last version; a stale one is 412 and changes nothing.
    const v1 = joined.json.version as number;
    const hb = await rest(s.url, 'POST', `/v1/groups/${name}/members/rest-1/heartbeat`, {
      json: { version: v1, ttlMs: 5_000 },
    });
    expect(hb.status).toBe(200);
    expect(hb.json.version).toBeGreaterThan(v1);
    expectProblem(
      await rest(s.url, 'POST', `/v1/groups/${name}/members/rest-1/heartbeat`, { json: { version: v1 } }),
      412,
      'version_conflict',
    );
    // Joining a taken id is 412 too.
    expectProblem(await rest(s.url, 'PUT', `/v1/groups/${name}/members/lib-1`), 412, 'version_conflict');
    expect((await s.baton.dict(groupDict(name)).getEntry('rest-1'))?.version).toBe(hb.json.version);

    // The library member's watch sees the REST member leave (If-Match on the current version).
    const ac = new AbortController();
    const seen: string[] = [];
    const watching = (async () => {
      for await (const c of s.baton.group(name).watch({ signal: ac.signal })) {
        seen.push(`${c.type}:${c.id}${c.reason ? `:${c.reason}` : ''}`);
        if (c.type === 'leave') break;
      }
    })();
    expectProblem(
      await rest(s.url, 'DELETE', `/v1/groups/${name}/members/rest-1`, {
        headers: { 'if-match': `"${v1}"` },
      }),
      412,
      'version_conflict',
    );
    const left = await rest(s.url, 'DELETE', `/v1/groups/${name}/members/rest-1`, {
      headers: { 'if-match': `"${hb.json.version}"` },
    });
    expect(left.json).toEqual({ left: true });
    await watching;
    ac.abort();
    expect(seen).toEqual(['join:lib-1', 'join:rest-1', 'leave:rest-1:left']);
    await lib.leave();
  });

  it('the REST watch streams the present members, then joins and leaves (an unrenewed member expires)', async () => {
    const name = uniqueName('g');
    const lib = await s.baton.group(name).join({ id: 'lib-1', ttlMs: 5_000 });
    const r = await sse(
      `${s.url}/v1/groups/${name}/watch`,
      (evs) => evs.some((e) => e.event === 'leave'),
      async () => {
        await rest(s.url, 'PUT', `/v1/groups/${name}/members/rest-1`, { json: { ttlMs: 300 } });
      },
    );
    expect(r.status).toBe(200);
    expect(r.evs.map((e) => `${e.event}:${e.data.id}`)).toEqual([
      'join:lib-1',
      'join:rest-1',
      'leave:rest-1',
    ]);
    expect(r.evs[2]?.data.reason).toBe('expired');
    expect(r.evs[1]?.id).toMatch(/:\d+$/);
    await lib.leave();
  });

  it('bad input is a typed 400 and writes nothing', async () => {
    const name = uniqueName('g');
    const bad: Array<[string, string, unknown]> = [
      ['PUT', `/v1/groups/${name}/members/bad%20id`, {}],
      ['PUT', `/v1/groups/${name}/members/ok`, { ttlMs: 0 }],
      ['PUT', `/v1/groups/${name}/members/ok`, { meta: 1, extra: true }],
      ['PUT', `/v1/groups/${'x'.repeat(171)}/members/ok`, {}],
      ['POST', `/v1/groups/${name}/members/ok/heartbeat`, { version: -1 }],
      ['POST', `/v1/groups/${name}/members/ok/heartbeat`, {}],
    ];
    for (const [method, path, json] of bad) {
      expectProblem(await rest(s.url, method, path, { json }), 400, 'invalid_argument');
    }
    expectProblem(
      await rest(s.url, 'GET', `/v1/groups/${name}/members?partitions=0`),
      400,
      'invalid_argument',
    );
    expect(await s.baton.dict(groupDict(name)).size()).toBe(0);
    expect((await rest(s.url, 'GET', `/v1/groups/${name}/members`)).json).toEqual({ members: [] });
  });

  it('rights: write on the group dict to join, read to list; 403 before the body is read', async () => {
    // A body that is not JSON would be a 400 if it were read: 403 shows it was not.
    const r = await rest(authed.url, 'PUT', '/v1/groups/other/members/m1', {
      headers: as(WORKER),
      body: 'not json',
    });
    expectProblem(r, 403, 'forbidden');
    expectProblem(
      await rest(authed.url, 'PUT', '/v1/groups/jobs/members/m1', { headers: as(READER), body: 'not json' }),
      403,
      'forbidden',
    );
    expect(
      (await rest(authed.url, 'PUT', '/v1/groups/jobs/members/m1', { headers: as(WORKER), json: {} })).status,
    ).toBe(201);
    const list = await rest(authed.url, 'GET', '/v1/groups/jobs/members', { headers: as(READER) });
    expect(list.json).toEqual({ members: [{ id: 'm1' }] });
    expectProblem(
      await rest(authed.url, 'GET', '/v1/elections/e1', { headers: as(WORKER) }),
      404,
      'not_found',
    );
    expectProblem(
      await rest(authed.url, 'GET', '/v1/elections/e1', { headers: as(READER) }),
      404,
      'not_found',
    );
    expectProblem(await rest(authed.url, 'GET', '/v1/groups/jobs/members'), 401, 'unauthorized');
  });
});

describe('elections over REST', () => {
  it('leader is 404 with none, then the leader; observe streams each change', async () => {
    const name = uniqueName('e');
    const election = s.baton.election(name);
    expectProblem(await rest(s.url, 'GET', `/v1/elections/${name}`), 404, 'not_found');
    let first: Awaited<ReturnType<typeof election.campaign>> | undefined;
    const r = await sse(
      `${s.url}/v1/elections/${name}/observe`,
      (evs) => evs.length >= 3,
      async () => {
        first = await election.campaign({ value: 'a', ttlMs: 5_000 });
        expect((await rest(s.url, 'GET', `/v1/elections/${name}`)).json).toEqual({
          value: 'a',
          fence: first.lease.fence,
        });
        await first.resign();
        await (await election.campaign({ value: 'b', ttlMs: 5_000 })).proclaim('b');
      },
    );
    expect(r.evs[0]).toEqual({ event: 'none', data: {} });
    expect(r.evs[1]?.event).toBe('leader');
    const leaders = r.evs.filter((e) => e.event === 'leader').map((e) => e.data);
    expect(leaders.at(-1)?.value).toBe('b');
    expect(leaders.at(-1)?.fence as number).toBeGreaterThan(first?.lease.fence ?? 0);
  });

  it('streams share the --max-watches slots (2 here)', async () => {
    const name = uniqueName('e');
    const held = [new AbortController(), new AbortController()];
    const open = await Promise.all(
      held.map((ac, i) =>
        fetch(`${s.url}${i ? `/v1/groups/${name}/watch` : `/v1/elections/${name}/observe`}`, {
          signal: ac.signal,
        }),
      ),
    );
    expect(open.map((o) => o.status)).toEqual([200, 200]);
    expectProblem(await rest(s.url, 'GET', `/v1/dicts/${name}/watch`), 429, 'too_many_watches');
    for (const ac of held) ac.abort();
  });
});
