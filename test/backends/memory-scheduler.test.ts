/**
 * The memory store's Scheduler: callbacks run in deadline order, a cancelled one never runs, and
 * cancelled callbacks do not pile up in the heap (a lock released long before its TTL used to
 * leave its expiry callback behind for the whole TTL: ~360 bytes per acquire).
 */
import { describe, expect, it } from 'vitest';
import { now, Scheduler } from '../../src/backends/memory/scheduler.js';

function scheduler(): Scheduler {
  const s = new Scheduler();
  s.stop(); // no timer: the tests drive it with runDue
  return s;
}

describe('memory Scheduler', () => {
  it('runs due callbacks in deadline order, each once, and not the ones cancelled', () => {
    const s = scheduler();
    const ran: number[] = [];
    const past = now() - 1_000;
    const timers = [5, 3, 9, 1, 7, 2, 8, 4, 6].map((n) => s.at(past + n, () => ran.push(n)));
    s.cancel(timers[1]); // 3
    s.cancel(timers[4]); // 7
    s.cancel(timers[4]); // twice is a no-op
    s.at(now() + 60_000, () => ran.push(100)); // not due
    s.runDue();
    s.runDue();
    expect(ran).toEqual([1, 2, 4, 5, 6, 8, 9]);
    expect(s.size).toBe(1);
  });

  it('keeps the heap bounded when most timers are cancelled before they are due', () => {
    const s = scheduler();
    const far = now() + 60_000;
    const live = Array.from({ length: 100 }, (_, i) => s.at(far + i, () => undefined));
    for (let i = 0; i < 100_000; i++) s.cancel(s.at(far + (i % 5_000), () => undefined));
    // Dead timers are dropped once they outnumber live ones (and number 1024 or more).
    expect(s.size).toBeLessThan(2 * 1024 + live.length);
    expect(live.every((t) => t.run !== undefined)).toBe(true);
  });

  it('still runs every live timer, in order, after compactions', () => {
    const s = scheduler();
    const base = now() - 10_000;
    const ran: number[] = [];
    const expected: number[] = [];
    for (let i = 0; i < 5_000; i++) {
      const t = s.at(base + ((i * 7919) % 5_000), () => ran.push(i));
      if (i % 3 === 0) expected.push(i);
      else s.cancel(t);
    }
    s.runDue();
    const deadline = (i: number) => (i * 7919) % 5_000; // distinct for i < 5000 (7919 is prime)
    expect(ran).toEqual(expected.sort((a, b) => deadline(a) - deadline(b)));
    expect(s.size).toBe(0);
  });

  it('lets a running callback cancel others, rebuilding the heap under runDue', () => {
    const s = scheduler();
    const base = now() - 10_000;
    const ran: string[] = [];
    const victims = Array.from({ length: 3_000 }, (_, i) =>
      s.at(base + 10 + i, () => ran.push(`victim ${i}`)),
    );
    s.at(base + 1, () => {
      ran.push('first');
      for (const v of victims.slice(0, 2_999)) s.cancel(v);
    });
    s.at(base + 5_000, () => ran.push('last'));
    s.runDue();
    expect(ran).toEqual(['first', 'victim 2999', 'last']);
    expect(s.size).toBe(0);
  });
});
