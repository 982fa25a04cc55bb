/**
 * The order test files start in. With several forks (vitest.config.ts), the run ends when its
 * longest file does, so the long files must start first. vitest's own order puts the files with
 * the longest durations in its results cache first, but a fresh clone (CI) has no cache and then
 * the largest files go first, which puts the conformance files (a few lines each, the longest
 * files of the run) last. So the files in LONG_FIRST start first, in that order; the rest follow
 * in vitest's own order.
 *
 * LONG_FIRST is from a measured run (`npx vitest run --reporter=json --outputFile=run.json`, each
 * file's endTime - startTime): the files of about 40 s or more on a 2-core machine, longest first.
 * A file missing from it only starts later; refresh it when a new file takes that long. The two
 * files that run many processes (the fleet's 6 workers per backend, multiprocess's 8) do not start
 * together: at 4 forks on a machine loaded far past its 2 cores, their workers did not all connect
 * in 60 s.
 */
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/** LONG_FIRST lists path prefixes (from the repository root) of the longest files, longest first. */
export const LONG_FIRST: readonly string[] = [
  'test/fleet/fleet.test.ts',
  'test/backends/etcd-cluster.test.ts',
  'test/backends/etcd.test.ts',
  'test/server/multiprocess.test.ts',
  'test/backends/redis-cluster.test.ts',
  'test/fleet/failover.test.ts',
  'test/backends/http-redis.test.ts',
  'test/backends/http.test.ts',
  'test/backends/redis-sentinel.test.ts',
  'test/backends/redlock.test.ts',
  'test/backends/redis.test.ts',
  'test/backends/memory.test.ts',
  'test/cli/usage.test.ts',
  'test/cli/dict.test.ts',
  'test/cli/run-pools.test.ts',
  'test/cli/run.test.ts',
  'test/redis/semaphores.test.ts',
  'test/cli/run-signals.test.ts',
  'test/server/serve-cli.test.ts',
  'test/etcd/member-kill.test.ts',
  'test/fleet/outage.test.ts',
];

/** LongFirstSequencer starts the files of LONG_FIRST first, then the rest in vitest's order. */
export class LongFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (spec: TestSpecification): number => {
      const path = relative(spec.project.config.root, spec.moduleId).replaceAll('\\', '/');
      const i = LONG_FIRST.findIndex((prefix) => path.startsWith(prefix));
      return i < 0 ? LONG_FIRST.length : i;
    };
    return sorted
      .map((spec, i) => ({ spec, i, rank: rank(spec) }))
      .sort((a, b) => a.rank - b.rank || a.i - b.i)
      .map(({ spec }) => spec);
  }
}
