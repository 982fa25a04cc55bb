/**
 * The short fleet profile `npm test` runs: on each backend, P = 6 forked workers do fenced
 * read-modify-writes of one counter and set while the nemesis pauses and kills them and crashes
 * the backend's servers; the checker must find 0 violations, and every kind of fault must have
 * happened. Each run prints its figures. The 10-minute soak is `npm run test:fleet -- --long`.
 */
import { describe, expect, it } from 'vitest';
import { BACKENDS } from './backends.js';
import { formatReport } from './checker.js';
import { runFleet } from './fleet.js';
import { SHORT } from './profiles.js';

const FAULT_KINDS: Record<(typeof BACKENDS)[number], string[]> = {
  memory: ['pause', 'kill'],
  redis: ['pause', 'kill', 'redis-crash-restart'],
  'redis-cluster': ['pause', 'kill'],
  redlock: ['pause', 'kill', 'redlock-master-crash-restart'],
  etcd: ['pause', 'kill', 'etcd-member-crash-restart'],
  'http-redis': ['pause', 'kill', 'server-stop-start'],
};

describe('fleet under faults (short profile)', () => {
  for (const backend of BACKENDS) {
    it(`${backend}: no lost update, no phantom, no stale write accepted, no double grant`, {
      timeout: 120_000,
    }, async () => {
      const result = await runFleet({ ...SHORT, backend });
      console.log(
        formatReport(`${result.backend} — ${result.describe} (seed ${result.seed})`, result.report),
      );
      expect(result.report.violations).toEqual([]);
      expect(Object.keys(result.report.faults).sort()).toEqual([...FAULT_KINDS[backend]].sort());
      expect(result.report.accepted).toBeGreaterThan(0);
    });
  }
});
