import { defineConfig } from 'vitest/config';
import { LongFirstSequencer } from './test/support/sequencer.js';

/**
 * FORKS is how many test files run at once. vitest's default is one fewer than the cores, so one
 * on a 2-core CI machine, where most of the run waits on TTLs, timers and child processes rather
 * than computing: more forks than cores overlap those waits. Every file uses its own names, key
 * prefixes or servers, so files can share the global services at the same time. The timed checks
 * keep their margins for a loaded machine (SLACK_MS in test/conformance/harness.ts), and the
 * suite is checked beside `stress-ng --cpu 2` (docs/RELIABILITY.md). BATON_TEST_FORKS overrides it.
 */
const FORKS = Number(process.env.BATON_TEST_FORKS ?? 4);

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
