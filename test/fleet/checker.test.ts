/**
 * The checker must find what it is there to find: each kind of violation, planted in an
 * otherwise correct synthetic history, is reported, and correct histories — including ones with
 * unknown outcomes either way and refusals that were stale — pass with none.
 */
import { describe, expect, it } from 'vitest';
import { check, type FinalState, formatReport } from './checker.js';
import type { Event, Fault } from './history.js';

const T0 = 1_700_000_000_000;

/** Iteration describes one holder's turn; times are ms after the previous turn's end. */
interface Turn {
  worker?: string;
  fence?: number;
  outcome?: 'ok' | 'stale' | 'unknown' | 'none';
  /** c overrides the value written (default: the count of accepted writes so far + 1). */
  c?: number;
  released?: boolean | 'error';
}

/** history builds a sequential, correct-by-default history of `turns` (10 ms each, TTL 500 ms). */
function history(turns: readonly Turn[]): { events: Event[]; final: FinalState } {
  const events: Event[] = [];
  const elems: string[] = [];
  let t = T0;
  let c = 0;
  let version = 0;
  turns.forEach((turn, i) => {
    const worker = turn.worker ?? `w${i % 3}`;
    const fence = turn.fence ?? i + 1;
    events.push({ type: 'grant', worker, fence, tReq: t, tResp: t + 1, expiresAt: t + 500, ttlMs: 500 });
    events.push({ type: 'read', worker, fence, c, n: c, t: t + 2 });
    const elem = `${worker}.${i}`;
    const written = turn.c ?? c + 1;
    events.push({ type: 'write', worker, fence, elem, c: written, n: c, t: t + 3 });
    const outcome = turn.outcome ?? 'ok';
    if (outcome === 'ok') {
      version++;
      events.push({ type: 'write-ok', worker, elem, version, t: t + 4 });
      elems.push(elem);
      c = written;
    } else if (outcome === 'stale') {
      events.push({ type: 'write-stale', worker, elem, error: 'StaleFenceError (stale_fence)', t: t + 4 });
    } else if (outcome === 'unknown') {
      events.push({ type: 'write-unknown', worker, elem, error: 'BackendUnavailableError', t: t + 4 });
    }
    const released = turn.released ?? true;
    events.push({ type: 'releasing', worker, fence, t: t + 5 });
    events.push(
      released === 'error'
        ? { type: 'release', worker, fence, tInvoke: t + 5, t: t + 6, error: 'BackendUnavailableError' }
        : { type: 'release', worker, fence, tInvoke: t + 5, t: t + 6, released },
    );
    t += 10;
  });
  return { events, final: { c, elems } };
}

const ok = (n: number): Turn[] => Array.from({ length: n }, () => ({}));

describe('fleet checker', () => {
  it('passes a correct history and prints its figures', () => {
    const { events, final } = history(ok(20));
    const r = check(events, final, [{ kind: 'pause', target: 'w1', t0: T0, t1: T0 + 1 }]);
    expect(r.violations).toEqual([]);
    expect(r).toMatchObject({ grants: 20, accepted: 20, rejectedStale: 0, unknown: 0, faults: { pause: 1 } });
    expect(formatReport('synthetic', r)).toMatch(
      /grants 20, accepted 20 .*\n.*\n.*pause 1[\s\S]*violations: 0/,
    );
  });

  it('accepts an unknown write whether or not it took effect', () => {
    const lost = history([...ok(3), { outcome: 'unknown' }, ...ok(3)]);
    expect(check(lost.events, lost.final, []).violations).toEqual([]);
    // The same history where the unknown write did land, and the next writers built on it.
    const landed = history([...ok(3), { outcome: 'unknown' }, ...ok(3)]);
    const unknownElem = 'w0.3';
    const shifted = landed.events.map((e) =>
      (e.type === 'read' || e.type === 'write') && e.t > T0 + 35 ? { ...e, c: e.c + 1, n: e.n + 1 } : e,
    );
    const final = { c: landed.final.c + 1, elems: [...landed.final.elems, unknownElem] };
    expect(check(shifted, final, []).violations).toEqual([]);
  });

  it('accepts a refusal after a newer grant, and one after the lease expired', () => {
    // A newer grant before the lease's expiry is a double grant (reported as such), but the
    // refusal itself was right.
    const newer = history([{ fence: 1, outcome: 'stale' }]);
    newer.events.push({
      type: 'grant',
      worker: 'w9',
      fence: 2,
      tReq: T0 + 2,
      tResp: T0 + 3,
      expiresAt: T0 + 600,
      ttlMs: 500,
    });
    expect(check(newer.events, newer.final, []).violations.filter((v) => v.includes('refused'))).toEqual([]);
    const expired = history([{ outcome: 'stale' }]).events.map((e) =>
      e.type === 'write-stale' ? { ...e, t: T0 + 700 } : e,
    );
    expect(check(expired, { c: 0, elems: [] }, []).violations).toEqual([]);
  });

  it('finds a fence granted twice, and a fence that went backwards', () => {
    const twice = history([...ok(2), { fence: 2 }, ...ok(1).map(() => ({ fence: 4 }))]);
    expect(check(twice.events, twice.final, []).violations).toContainEqual(
      expect.stringMatching(/fence 2 granted twice/),
    );
    const backwards = history([{ fence: 5 }, { fence: 3 }]);
    expect(check(backwards.events, backwards.final, []).violations).toContainEqual(
      expect.stringMatching(/fence went backwards: w1 was granted fence 3 after w0 had been granted 5/),
    );
  });

  it('finds accepted writes that go backwards in fence', () => {
    const { events, final } = history(ok(3));
    const swapped = events.map((e) => (e.type === 'write-ok' && e.version === 3 ? { ...e, version: 0 } : e));
    expect(check(swapped, final, []).violations).toContainEqual(
      expect.stringMatching(/accepted writes went backwards/),
    );
  });

  it('finds a lost update: two accepted writes of the same C', () => {
    // w1 read C=1 and wrote 2; so did w2 (a stale read): one increment is lost.
    const { events, final } = history([{}, {}, { c: 2 }]);
    const r = check(events, { c: 2, elems: final.elems }, []);
    expect(r.violations).toContainEqual(
      expect.stringMatching(/lost update: w1.1 and w2.2 were both accepted writing C=2/),
    );
    expect(r.violations).toContainEqual(expect.stringMatching(/final C=2 but \|S\|=3: 1 updates lost/));
  });

  it('finds an accepted write whose read saw a half-applied state', () => {
    const { events, final } = history(ok(2));
    const torn = events.map((e) => (e.type === 'write' && e.elem === 'w1.1' ? { ...e, n: 0 } : e));
    expect(check(torn, final, []).violations).toContainEqual(expect.stringMatching(/read C=1 but \|S\|=0/));
  });

  it('finds phantoms: an element nobody wrote, and one whose write was refused', () => {
    const { events, final } = history([...ok(2), { outcome: 'stale', released: false }]);
    const withStale = { c: final.c + 1, elems: [...final.elems, 'w2.2'] };
    expect(check(events, withStale, []).violations).toContainEqual(
      expect.stringMatching(/phantom: w2.2 is in S but its write was refused/),
    );
    const invented = { c: final.c + 1, elems: [...final.elems, 'nobody.1'] };
    expect(check(events, invented, []).violations).toContainEqual(
      expect.stringMatching(/phantom: nobody.1 is in S but was never written/),
    );
  });

  it('finds a stale write accepted in real time even when the version order hides it (a failover lost the newer write)', () => {
    // w0 wrote under fence 5 and was acknowledged; the store failed over and forgot it, so w1's
    // write under fence 3, sent after, was accepted at version 0: the version order alone looks fine.
    const { events, final } = history([{ fence: 5 }, { fence: 3 }]);
    const forgot = events.map((e) => (e.type === 'write-ok' && e.elem === 'w1.1' ? { ...e, version: 0 } : e));
    const r = check(forgot, final, []);
    expect(r.violations).toContainEqual(
      expect.stringMatching(/stale write accepted: w1.1 \(fence 3\) was accepted after w0.0 \(fence 5\)/),
    );
    expect(r.violations).not.toContainEqual(expect.stringMatching(/accepted writes went backwards/));
  });

  it("finds the split-brain of issue 18: one fence issued on both sides, and the old side's acknowledged writes lost", () => {
    // w0 (fence 4) on the promoted replica, w1 granted fence 4 again on the deposed master and
    // acknowledged there; the deposed master is then demoted and w1's write vanishes.
    const { events, final } = history([...ok(3), { fence: 4, worker: 'w0' }, { fence: 4, worker: 'w1' }]);
    const r = check(events, { c: 4, elems: final.elems.filter((e) => e !== 'w1.4') }, []);
    expect(r.violations).toContainEqual(expect.stringMatching(/fence 4 granted twice: to w0 and w1/));
    expect(r.violations).toContainEqual(
      expect.stringMatching(/acknowledged write lost: accepted element w1.4 is missing from S/),
    );
  });

  it('finds an accepted element missing from the final state', () => {
    const { events, final } = history(ok(3));
    const r = check(events, { c: 3, elems: final.elems.slice(1) }, []);
    expect(r.violations).toContainEqual(expect.stringMatching(/accepted element w0.0 is missing from S/));
  });

  it('finds a refusal of a write whose lease was live and not superseded', () => {
    const { events, final } = history([...ok(2), { outcome: 'stale' }]);
    expect(check(events, final, []).violations).toContainEqual(
      expect.stringMatching(
        /write w2.2 \(fence 3\) was refused .* before its lease expired, with no newer grant/,
      ),
    );
  });

  it('finds a lock granted twice: a grant while the previous holder still held it', () => {
    const { events, final } = history(ok(3));
    // w1 was granted before w0 sent its release (which then said it had held the lock).
    const overlapping = events.map((e) =>
      e.type === 'grant' && e.fence === 2 ? { ...e, tReq: T0 + 2, tResp: T0 + 3 } : e,
    );
    expect(check(overlapping, final, []).violations).toContainEqual(
      expect.stringMatching(/lock granted twice: w0 \(fence 1\) still held it when w1 was granted fence 2/),
    );
    // A release that failed may have released: the same timing is then no proof.
    const unsure = history([{ released: 'error' }, ...ok(2)]).events.map((e) =>
      e.type === 'grant' && e.fence === 2 ? { ...e, tReq: T0 + 6, tResp: T0 + 7 } : e,
    );
    expect(check(unsure, final, []).violations).toEqual([]);
    // Nor does a release that answered false: it may have freed the lock on its way (Redlock:
    // first master released, holder paused, the others' keys expired by the time they answered).
    const partial = history([{ released: false }, ...ok(2)]).events.map((e) =>
      e.type === 'grant' && e.fence === 2 ? { ...e, tReq: T0 + 6, tResp: T0 + 7 } : e,
    );
    expect(check(partial, final, []).violations).toEqual([]);
    // But without any release sent, the same grant overlaps the first lease.
    const unreleased = partial.filter(
      (e) => !((e.type === 'release' || e.type === 'releasing') && e.fence === 1),
    );
    expect(check(unreleased, final, []).violations).toContainEqual(
      expect.stringMatching(/lock granted twice/),
    );
  });

  it('finds a fleet that made no progress after the faults healed, and unexpected errors', () => {
    const { events, final } = history(ok(3));
    events.push({
      type: 'op-error',
      worker: 'w0',
      op: 'acquire',
      error: 'TypeError',
      expected: false,
      t0: T0,
      t: T0 + 1,
    });
    const r = check(events, final, [], { healedAt: T0 + 1000 });
    expect(r.violations).toContainEqual(expect.stringMatching(/did not recover/));
    expect(r.violations).toContainEqual(
      expect.stringMatching(/w0: acquire failed with an unexpected TypeError/),
    );
    expect(r.errors).toEqual({ 'acquire TypeError': 1 });
  });
  it('finds a worker that never recovered while the others did', () => {
    const { events, final } = history(ok(6)); // turns end at T0 + 60; healed at T0 + 30
    const failing = (worker: string, n: number): Event[] =>
      Array.from({ length: n }, (_, i) => ({
        type: 'op-error' as const,
        worker,
        op: 'acquire' as const,
        error: 'BackendUnavailableError (backend_unavailable)',
        message: 'redis unavailable: Connection is closed.',
        expected: true,
        t0: T0 + 31 + i,
        t: T0 + 31 + i,
      }));
    const stuck = check([...events, ...failing('w9', 5)], final, [], { healedAt: T0 + 30 });
    expect(stuck.violations).toEqual([
      'worker w9 did not recover: all its 5 calls since the faults were healed failed (acquire BackendUnavailableError (backend_unavailable); last: redis unavailable: Connection is closed.), none was granted',
    ]);
    // A worker that failed a few times and was granted after the heal, or failed fewer times, recovered.
    expect(
      check([...events, ...failing('w1', 5), ...failing('w9', 4)], final, [], { healedAt: T0 + 30 })
        .violations,
    ).toEqual([]);
  });

  describe('proven losses (a lagging replica promoted, a master back empty)', () => {
    // Epoch 1: three accepted writes (fences 1–3, T0..T0+30); the store then comes back empty at
    // T0+40; epoch 2: two writes (fences 1001–1002, from T0+100), C counted from 0 again.
    const before = history(ok(3));
    const after = history(ok(2));
    const later = (e: Event): Event => {
      const shift = { ...e, worker: `${e.worker}x` } as Event & Record<string, unknown>;
      for (const k of ['t', 'tReq', 'tResp', 'expiresAt', 'tInvoke'] as const) {
        if (typeof shift[k] === 'number') (shift as Record<string, number>)[k] = (shift[k] as number) + 100;
      }
      if ('fence' in shift) (shift as Record<string, number>).fence = (shift.fence as number) + 1000;
      if ('elem' in shift) (shift as Record<string, string>).elem = `${shift.elem}x`;
      return shift;
    };
    const events = [...before.events, ...after.events.map(later)];
    const final = { c: 2, elems: after.final.elems.map((e) => `${e}x`) };
    const wipe = (lost: Fault['lost']): Fault[] => [
      { kind: 'master-restart-empty', target: 'master', t0: T0 + 35, t1: T0 + 60, ...(lost ? { lost } : {}) },
    ];
    const whole = { since: 0, until: T0 + 40 };

    it('excuses exactly the acknowledged writes its window holds, and counts them', () => {
      const r = check(events, final, wipe({ lock: whole, dict: whole }));
      expect(r.violations).toEqual([]);
      expect(r).toMatchObject({ rolledBack: 3, rolledBackBy: { 'master-restart-empty': 3 } });
      expect(formatReport('synthetic', r)).toMatch(
        /lost where a fault proved a loss \(excused\): 3 \(master-restart-empty 3\)/,
      );
    });

    it('excuses nothing without a proven loss, nor outside its window', () => {
      const unproven = check(events, final, wipe(undefined)).violations;
      expect(unproven).toContainEqual(
        expect.stringMatching(/acknowledged write lost: accepted element w0.0/),
      );
      expect(unproven).toContainEqual(
        expect.stringMatching(/lost update: w0.0 and w0.0x were both accepted writing C=1/),
      );
      const partial = { since: T0 + 12, until: T0 + 40 };
      const r = check(events, final, wipe({ lock: partial, dict: partial }));
      expect(r.rolledBack).toBe(2);
      expect(r.violations).toContainEqual(expect.stringMatching(/accepted element w0.0 is missing from S/));
      expect(r.violations).not.toContainEqual(expect.stringMatching(/w1.1 is missing/));
    });

    it('still finds a stale write accepted after the loss, and a fence issued again', () => {
      // After the wipe, a write under fence 2 (below the lost but acknowledged fence 3) is accepted.
      const stale = events.map((e) =>
        e.type === 'grant' && e.fence === 1001
          ? { ...e, fence: 2 }
          : 'fence' in e && e.fence === 1001
            ? { ...e, fence: 2 }
            : e,
      );
      const r = check(stale, final, wipe({ lock: whole, dict: whole }));
      expect(r.violations).toContainEqual(expect.stringMatching(/stale write accepted: w0.0x \(fence 2\)/));
      expect(r.violations).toContainEqual(expect.stringMatching(/fence 2 granted twice/));
    });

    it("ends a forgotten grant's hold at the loss, in a lock window only", () => {
      // w0's grant (fence 3) never released, its lease running to T0+520; the store came back
      // empty at T0+40, and w0x was granted at T0+101: a double grant only if nothing was lost.
      const unreleased = events.filter(
        (e) => !((e.type === 'release' || e.type === 'releasing') && e.fence === 3),
      );
      expect(check(unreleased, final, wipe({ dict: whole })).violations).toContainEqual(
        expect.stringMatching(/lock granted twice: w2 \(fence 3\) still held it/),
      );
      expect(check(unreleased, final, wipe({ lock: whole, dict: whole })).violations).toEqual([]);
    });
  });
});
