/**
 * The failover nemesis (issue 18), short profile: on a Sentinel deployment (1 master, 2 replicas,
 * 3 sentinels) and on a Redis Cluster with a replica per master, P = 6 forked workers connected
 * with `replicas=1` do fenced read-modify-writes while the nemesis pauses and kills workers,
 * freezes the master past down-after (split-brain: it wakes still a master) and SIGKILLs the
 * master (restarted empty afterwards; it rejoins as a replica). The checker must find 0
 * violations: no fence issued twice, no accepted write fenced below an earlier accepted one, no
 * acknowledged write lost (every accepted element in the final dict), no lost update.
 *
 * The master restarting empty *before* a failover is not a fault here: without persistence it
 * erases acknowledged writes, which no replica count can prevent (docs/SAFETY.md); its fences
 * are tested in test/redis/failover.test.ts and cluster-failover.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { FAILOVER_BACKENDS } from './backends.js';
import { formatReport } from './checker.js';
import { runFleet } from './fleet.js';
import { FAILOVER_SHORT } from './profiles.js';

describe('fleet under failovers (short profile)', () => {
  for (const backend of FAILOVER_BACKENDS) {
    it(`${backend}: no fence twice, no stale write accepted, no acknowledged write lost`, {
      timeout: 180_000,
    }, async () => {
      const result = await runFleet({ ...FAILOVER_SHORT, backend });
      console.log(
        formatReport(`${result.backend} — ${result.describe} (seed ${result.seed})`, result.report),
      );
      for (const f of result.faults) console.log(`   ${f.kind} ${f.target} (${f.t1 - f.t0} ms)`);
      console.log(`   elapsed ${Math.round(result.elapsedMs / 1000)} s`);
      expect(result.report.violations).toEqual([]);
      expect(Object.keys(result.report.faults).sort()).toEqual(
        [
          'kill',
          'master-freeze',
          'master-kill',
          'master-restart-empty',
          'pause',
          'replica-lag-promoted',
        ].sort(),
      );
      expect(result.report.accepted).toBeGreaterThan(0);
    });
  }
});
