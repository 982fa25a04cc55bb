import { defineConfig } from 'vitest/config';
import { LongFirstSequencer } from './test/support/sequencer.js';

/**
 * FORKS is how many test files run at once. vitest's default is one fewer than the cores, so one
 * on a 2-core CI machine, where most of the run waits on TTLs, timers and child processes rather
 * than computing: a second fork overlaps those waits. Every file uses its own names, key prefixes
 * or servers, so files can share the global services at the same time (the etcd conformance file
 * compacts, so it has its own member). Not more by default: at 4 forks on a machine loaded far
 * past its 2 cores (load average 45), the fleet's workers did not all connect within 60 s and
 * etcd calls hit their deadlines. BATON_TEST_FORKS overrides it.
 */
const FORKS = Number(process.env.BATON_TEST_FORKS ?? 2);

/** The vitest configuration: real services from test/support/global-setup.ts, examples run as tests. */
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'examples/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    pool: 'forks',
    maxWorkers: FORKS,
    minWorkers: 1,
    sequence: { sequencer: LongFirstSequencer },
    testTimeout: 30_000,
    hookTimeout: 60_000,
    teardownTimeout: 30_000,
    reporters: process.env.CI ? ['verbose'] : ['default'],
  },
});
