/**
 * Failover on a real Sentinel deployment (1 master, 2 replicas, 3 sentinels, down-after
 * 1000 ms): a master restarted empty (fences must still grow), a watch across a SIGKILLed master,
 * and the split-brain replayed from issue 18: the master is SIGSTOPped for 6 s with a client on each side.
 * Client A was connected to the master before it froze; Sentinel promotes a replica, client B
 * connects then, is granted lock L and does a fenced write; the old master wakes still a master
 * and A asks it for L and writes. Checked: no fence issued twice, and no accepted fenced write
 * is fenced below a fence accepted before it.
 *
 * On main before issue 18 A was granted L again on the woken master with B's fence, and both
 * fenced writes were accepted.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Baton, connect, isBatonError, type Lease } from '../../src/index.js';
import { type SentinelHandle, startSentinelDeployment } from '../support/redis-sentinel.js';
import { untilSucceeds } from '../support/retry.js';
import { waitUntil } from '../support/wait.js';

/** STOP_MS is how long the master is frozen: well past down-after plus Sentinel's election. */
const STOP_MS = 6000;

interface Accepted {
  readonly who: string;
  readonly fence: number;
}

/** outcome runs `write` and tells whether the store accepted it (a typed refusal is not acceptance). */
async function outcome(write: () => Promise<unknown>): Promise<'accepted' | string> {
  try {
    await write();
    return 'accepted';
  } catch (err) {
    if (isBatonError(err)) return err.code;
    throw err;
  }
}

/** staleAccepted lists accepted writes fenced below a fence accepted earlier (in real-time order). */
function staleAccepted(accepted: readonly Accepted[]): Accepted[] {
  let highest = 0;
  const stale: Accepted[] = [];
  for (const a of accepted) {
    if (a.fence < highest) stale.push(a);
    highest = Math.max(highest, a.fence);
  }
  return stale;
}

describe('redis sentinel failover (1 master, 2 replicas, 3 sentinels)', () => {
  let dep: SentinelHandle | undefined;
  const clients: Baton[] = [];

  beforeAll(async () => {
    dep = await startSentinelDeployment();
  });
  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.close()));
    await dep?.stop();
  });

  /**
   * freeze SIGSTOPs the current master, runs `duringStop` once the sentinels named another master
   * (with its port), and SIGCONTs it STOP_MS after the stop.
   */
  async function freeze(duringStop: (newPort: number) => Promise<void>): Promise<number> {
    const oldPort = await dep!.masterPort();
    const old = dep!.server(oldPort);
    const stoppedAt = performance.now();
    process.kill(old.pid, 'SIGSTOP');
    try {
      await duringStop(await dep!.waitForNewMaster(oldPort));
      await sleep(Math.max(0, STOP_MS - (performance.now() - stoppedAt)));
    } finally {
      process.kill(old.pid, 'SIGCONT');
    }
    return oldPort;
  }

  it('a master restarted empty (before down-after) still issues fences above every earlier one', async () => {
    const url = `${dep!.url}&prefix=re-${randomBytes(4).toString('hex')}:`;
    const [a, b] = await Promise.all([connect(url), connect(url)]);
    clients.push(a, b);
    const before = await a.lock('R').acquire({ ttlMs: 30_000 });
    await a.dict('D').set('k', 'A', { fence: before });
    await dep!.waitForReplicas();
    const master = dep!.server(await dep!.masterPort());
    await master.kill();
    await master.restart(); // no persistence: it comes back empty, and its replicas resync from it
    let after: Lease | undefined;
    await waitUntil(async () => {
      after =
        (await b
          .lock('R')
          .tryAcquire({ ttlMs: 30_000 })
          .catch(() => undefined)) ?? undefined;
      return after !== undefined;
    }, 'a grant after the restart');
    expect(after!.fence).toBeGreaterThan(before.fence);
    await b.dict('D').set('k', 'B', { fence: after! });
    await expect(a.dict('D').set('k', 'A2', { fence: before })).rejects.toMatchObject({
      code: 'stale_fence',
    });
    expect(await b.dict('D').get('k')).toBe('B');
  }, 60_000);

  it('a client of the frozen master is neither granted the lock again nor has a stale fenced write accepted', async () => {
    const url = `${dep!.url}&prefix=sb-${randomBytes(4).toString('hex')}:`;
    const a = await connect(url);
    clients.push(a);
    // Some history on the old master, replicated before it freezes.
    for (let i = 0; i < 3; i++) await (await a.lock('L').acquire({ ttlMs: 30_000 })).release();
    await dep!.waitForReplicas();

    const accepted: Accepted[] = [];
    let leaseB: Lease | undefined;
    let b: Baton | undefined;
    await freeze(async () => {
      b = await connect(url);
      clients.push(b);
      leaseB = await b.lock('L').acquire({ ttlMs: 60_000, waitMs: 10_000 });
      if ((await outcome(() => b!.dict('D').set('k', 'B1', { fence: leaseB! }))) === 'accepted') {
        accepted.push({ who: 'B1', fence: leaseB!.fence });
      }
    });

    // A, on the woken old master's side: ask for L and write with whatever it got.
    let leaseA: Lease | null | undefined;
    try {
      leaseA = await a.lock('L').tryAcquire({ ttlMs: 60_000 });
    } catch (err) {
      if (!isBatonError(err)) throw err;
    }
    for (let i = 0; i < 5 && leaseA; i++) {
      if ((await outcome(() => a.dict('D').set('k', `A${i}`, { fence: leaseA! }))) === 'accepted') {
        accepted.push({ who: `A${i}`, fence: leaseA.fence });
      }
    }
    if ((await outcome(() => b!.dict('D').set('k', 'B2', { fence: leaseB! }))) === 'accepted') {
      accepted.push({ who: 'B2', fence: leaseB!.fence });
    }

    const report = { fenceB: leaseB?.fence, fenceA: leaseA?.fence, accepted };
    expect(leaseB, JSON.stringify(report)).toBeDefined();
    expect(leaseA?.fence, `fence issued twice: ${JSON.stringify(report)}`).not.toBe(leaseB!.fence);
    expect(staleAccepted(accepted), `stale fenced writes accepted: ${JSON.stringify(report)}`).toEqual([]);
  }, 60_000);

  it('with replicas=1 a client bound to the frozen master (no Sentinel) gets nothing acknowledged there', async () => {
    const prefix = `r1-${randomBytes(4).toString('hex')}:`;
    const oldPort = await dep!.masterPort();
    // A talks to that server directly, so it cannot follow the master: only WAIT can stop it.
    const a = await connect(`redis://127.0.0.1:${oldPort}?replicas=1&replicasTimeoutMs=300&prefix=${prefix}`);
    clients.push(a);
    const early = await a.lock('L').acquire({ ttlMs: 1500 }); // replicated, lapses during the freeze
    await a.dict('D').set('k', 'A0', { fence: early });

    const accepted: Accepted[] = [{ who: 'A0', fence: early.fence }];
    let leaseB: Lease | undefined;
    let b: Baton | undefined;
    await freeze(async () => {
      b = await connect(`${dep!.url}&replicas=1&replicasTimeoutMs=300&prefix=${prefix}`);
      clients.push(b);
      leaseB = await b.lock('L').acquire({ ttlMs: 60_000, waitMs: 10_000 });
      if ((await outcome(() => b!.dict('D').set('k', 'B1', { fence: leaseB! }))) === 'accepted') {
        accepted.push({ who: 'B1', fence: leaseB!.fence });
      }
    });

    const refusals: string[] = [];
    const grant = await a
      .lock('L')
      .tryAcquire({ ttlMs: 60_000 })
      .catch((err: unknown) => err);
    refusals.push(grant instanceof Error ? grant.name : String(grant));
    for (let i = 1; i <= 3; i++) {
      const r = await outcome(() =>
        a.dict('D').set('k', `A${i}`, { fence: { lock: 'L', fence: early.fence } }),
      );
      if (r === 'accepted') accepted.push({ who: `A${i}`, fence: early.fence });
      refusals.push(r);
    }
    if ((await outcome(() => b!.dict('D').set('k', 'B2', { fence: leaseB! }))) === 'accepted') {
      accepted.push({ who: 'B2', fence: leaseB!.fence });
    }
    const report = JSON.stringify({ fenceB: leaseB?.fence, refusals, accepted });
    expect(grant, `A was granted on the frozen master: ${report}`).not.toHaveProperty('fence');
    expect(
      accepted.map((x) => x.who),
      report,
    ).toEqual(['A0', 'B1', 'B2']);
    expect(staleAccepted(accepted), report).toEqual([]);
  }, 60_000);

  it('a watch across a failover (master SIGKILLed) sees every version once and in order, or ends with a typed error', async () => {
    // Let the previous test's failover settle: every sentinel sends its own +switch-master, and a
    // late one makes a client reconnect (a call in flight fails with BackendUnavailableError).
    await dep!.waitForReplicas();
    const url = `${dep!.url}&replicas=1&prefix=w-${randomBytes(4).toString('hex')}:`;
    const [w, writer] = await Promise.all([connect(url), connect(url)]);
    clients.push(w, writer);
    const versions: number[] = [];
    const values: number[] = [];
    let ended: unknown;
    const watching = (async () => {
      try {
        for await (const c of w.dict<number>('W').watch({ fromVersion: 0 })) {
          versions.push(c.version);
          values.push(c.value!);
          if (c.value === 10) break;
        }
      } catch (err) {
        ended = err;
      }
    })();
    for (let i = 1; i <= 5; i++) await untilSucceeds(() => writer.dict('W').set('k', i));
    await waitUntil(() => values.length >= 5 || ended !== undefined, 'the watch seeing the first writes');
    await dep!.waitForReplicas();
    const old = dep!.server(await dep!.masterPort());
    await old.kill();
    await dep!.waitForNewMaster(old.port);
    // A write that failed may still have been applied: retried, it can take two versions.
    for (let i = 6; i <= 10; i++) await untilSucceeds(() => writer.dict('W').set('k', i));
    await Promise.race([watching, sleep(20_000)]);
    const report = JSON.stringify({ versions, values, ended: ended instanceof Error ? ended.name : ended });
    console.log(`watch across a failover: ${report}`);
    expect(versions, report).toEqual(versions.map((_, i) => i + 1)); // from 1, no gap, no repeat
    expect(values, report).toEqual([...values].sort((x, y) => x - y));
    if (ended === undefined) expect(values.at(-1), report).toBe(10);
    else
      expect(['HistoryCompactedError', 'BackendUnavailableError'], report).toContain((ended as Error).name);
  }, 60_000);
});
