/**
 * A member killed for real: a forked process joins a group on single-node Redis and owns its
 * share of the partitions; after SIGKILL (no release, no goodbye) the two members left re-own its
 * partitions within about one TTL, each with a fence larger than the dead member's, and the
 * store's partition locks say so.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, inject, it } from 'vitest';
import { assignPartitions, type Baton, connect, type Membership, type Partitions } from '../../src/index.js';
import { eventually, SLACK_MS, uniqueName } from '../conformance/harness.js';

const MEMBER = fileURLToPath(new URL('./fixtures/member.ts', import.meta.url));
const TTL_MS = 2_000;
const COUNT = 12;

const open: Baton[] = [];
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await Promise.all(open.splice(0).map((b) => b.close()));
});

it('a SIGKILLed member’s partitions are re-owned by the others within about one TTL, with larger fences', {
  timeout: 60_000,
}, async () => {
  const url = `${inject('redisUrl')}?prefix=${uniqueName('recipes')}:`;
  const group = uniqueName('grp');
  const member = async (id: string): Promise<{ m: Membership; parts: Partitions }> => {
    const b = await connect(url);
    open.push(b);
    const m = await b.group(group).join({ id, ttlMs: TTL_MS });
    const parts = m.partitions(COUNT, { ttlMs: TTL_MS });
    void (async () => {
      for await (const _ of parts);
    })();
    return { m, parts };
  };
  const a = await member('m-a');
  const b = await member('m-b');

  const child = fork(MEMBER, [url, group, 'm-k', String(COUNT), String(TTL_MS)], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  children.push(child);
  const childOwns = new Map<number, number>();
  child.on('message', (msg: { type: string; partition: number; fence: number }) => {
    if (msg.type === 'acquired') childOwns.set(msg.partition, msg.fence);
    else childOwns.delete(msg.partition);
  });

  const owners3 = assignPartitions(COUNT, ['m-a', 'm-b', 'm-k']);
  const mine = (owners: Array<string | undefined>, id: string) =>
    owners.flatMap((o, p) => (o === id ? [p] : [])).join(',');
  const owns = (parts: Partitions | Map<number, unknown>) =>
    [...(parts instanceof Map ? parts.keys() : parts.owned.keys())].sort((x, y) => x - y).join(',');
  await eventually(
    async () =>
      owns(a.parts) === mine(owners3, 'm-a') &&
      owns(b.parts) === mine(owners3, 'm-b') &&
      owns(childOwns) === mine(owners3, 'm-k'),
    TTL_MS * 3 + SLACK_MS * 2,
    'three members own their shares',
  );
  const dead = new Map(childOwns);
  expect(dead.size).toBe(COUNT / 3);

  const killedAt = performance.now();
  child.kill('SIGKILL');
  const owners2 = assignPartitions(COUNT, ['m-a', 'm-b']);
  await eventually(
    async () => owns(a.parts) === mine(owners2, 'm-a') && owns(b.parts) === mine(owners2, 'm-b'),
    TTL_MS * 3 + SLACK_MS,
    'the two survivors own every partition',
  );
  const tookMs = performance.now() - killedAt;
  for (const [p, fence] of dead) {
    const lease = a.parts.owned.get(p) ?? b.parts.owned.get(p);
    expect(lease?.fence).toBeGreaterThan(fence);
    const info = await a.m.group.partitionLock(p).inspect();
    expect(info).toMatchObject({ held: true, fence: lease?.fence });
  }
  // The dead member's entry and leases ran out by their TTL: well under three TTLs on an idle machine.
  expect(tookMs).toBeLessThan(TTL_MS * 3 + SLACK_MS);
  console.log(`re-owned ${dead.size} partitions ${Math.round(tookMs)} ms after SIGKILL (TTL ${TTL_MS} ms)`);
  await Promise.all([a.m.leave(), b.m.leave()]);
});
