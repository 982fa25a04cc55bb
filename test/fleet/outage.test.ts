/**
 * Backend outage under load: six workers (four on Redis directly, two through a baton server on
 * the same Redis) work on one lock and one dict while Redis is, at least once each, killed and
 * kept down for 3 s, and frozen (SIGSTOP) for 3 s; meanwhile a REST probe keeps asking the
 * server for a lock and an entry.
 *
 * While Redis is down, callers get BackendUnavailableError (library) or 503 (REST) within their
 * timeout — nothing hangs, no other error appears; once it is back, work resumes; and over the
 * whole run no lock was granted twice and no update was lost (the fleet checker).
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { FleetBackend } from './backends.js';
import { formatReport } from './checker.js';
import { runFleet } from './fleet.js';

/**
 * The workers' and the server's timeout is 2 s. A waiting acquire learns of a frozen Redis from
 * its subscriber's ping, sent every timeout and itself bounded by one: up to two timeouts. A
 * loaded 2-core machine gets 3 s more before a failure counts as slow.
 */
const FAIL_WITHIN_MS = 2 * 2_000 + 3_000;
/** A REST call with waitMs 0 is one backend call: one timeout, plus the same 3 s. */
const REST_WITHIN_MS = 2_000 + 3_000;
const PROBE_ANSWER_WITHIN_MS = 10_000;

interface Probed {
  readonly t0: number;
  readonly t1: number;
  readonly what: string;
  readonly status: number | string;
}

/** restProbe asks the server for a lock (waitMs 0) and an entry every 100 ms until stopped. */
function restProbe(backend: FleetBackend, seen: Probed[]): { stop(): Promise<void> } {
  const url = backend.targetFor?.(2);
  if (typeof url !== 'string' || !url.startsWith('http')) throw new Error('no baton server in this backend');
  const lock = `probe-${randomBytes(3).toString('hex')}`;
  let stopped = false;
  const ask = async (what: string, path: string, init: RequestInit = {}): Promise<unknown> => {
    const t0 = Date.now();
    try {
      const res = await fetch(url + path, { ...init, signal: AbortSignal.timeout(PROBE_ANSWER_WITHIN_MS) });
      const body: unknown = await res.json().catch(() => undefined);
      seen.push({ t0, t1: Date.now(), what, status: res.status });
      return res.status === 200 ? body : undefined;
    } catch (err) {
      seen.push({ t0, t1: Date.now(), what, status: err instanceof Error ? err.name : String(err) });
      return undefined;
    }
  };
  const json = (body: unknown): RequestInit => ({
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const loop = (async () => {
    while (!stopped) {
      const grant = (await ask('acquire', `/v1/locks/${lock}/acquire`, json({ ttlMs: 1000, waitMs: 0 }))) as
        | { token?: string }
        | undefined;
      if (grant?.token) await ask('release', `/v1/locks/${lock}/release`, json({ token: grant.token }));
      await ask('get', `/v1/dicts/${lock}/keys/k`);
      await sleep(100);
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
    },
  };
}

describe('backend outage under load', () => {
  it('Redis down or frozen 3 s: BackendUnavailableError / 503 in time, nothing hangs, work resumes, no double grant', {
    timeout: 120_000,
  }, async () => {
    const probed: Probed[] = [];
    const result = await runFleet({
      backend: 'redis-outage',
      durationMs: 6_000,
      quietMs: 3_000,
      faultGapMs: [500, 1500],
      workerFaults: false,
      probe: (backend) => restProbe(backend, probed),
    });
    const { report } = result;
    console.log(formatReport(`${result.backend} — ${result.describe} (seed ${result.seed})`, report));
    const outages = result.faults.filter((f) => f.kind === 'redis-outage' || f.kind === 'redis-freeze');
    const during = (p: Probed) => outages.some((o) => p.t0 >= o.t0 + 200 && p.t1 <= o.t1);
    const statusCounts = (ps: Probed[]) =>
      Object.fromEntries(
        [...new Set(ps.map((p) => `${p.what} ${p.status}`))].map((k) => [
          k,
          ps.filter((p) => `${p.what} ${p.status}` === k).length,
        ]),
      );
    console.log(
      `   REST probe during outages: ${JSON.stringify(statusCounts(probed.filter(during)))}; slowest answer ${Math.max(...probed.map((p) => p.t1 - p.t0))} ms`,
    );

    // The checker: no double grant, fences in order, no lost update, refusals stale, progress after.
    expect(report.violations).toEqual([]);
    expect(Object.keys(report.faults).sort()).toEqual(['redis-freeze', 'redis-outage']);
    // Callers were told, with the documented error, in time.
    const unavailable = Object.keys(report.errors).filter((k) => k.includes('BackendUnavailableError'));
    expect(unavailable.length).toBeGreaterThan(0);
    for (const key of Object.keys(report.errors)) {
      expect(key).toMatch(/BackendUnavailableError|LockTimeoutError|StaleFenceError/);
    }
    for (const key of unavailable) expect(report.slowestFailureMs[key], key).toBeLessThan(FAIL_WITHIN_MS);
    // REST: every probe answered, in time, with 200/409 or 503, and 503 while Redis was down.
    expect(probed.length).toBeGreaterThan(0);
    for (const p of probed) {
      expect([200, 409, 404, 503], `${p.what} answered ${p.status}`).toContain(p.status);
      expect(p.t1 - p.t0, `${p.what} took ${p.t1 - p.t0} ms`).toBeLessThan(REST_WITHIN_MS);
    }
    expect(probed.filter(during).some((p) => p.status === 503)).toBe(true);
    const last = outages.at(-1)!;
    expect(probed.some((p) => p.what === 'acquire' && p.t0 > last.t1 && p.status === 200)).toBe(true);
    expect(report.acceptedAfterHeal).toBeGreaterThan(0);
  });
});
