import { defineConfig } from 'vitest/config';

/** The vitest configuration: real services from test/support/global-setup.ts, examples run as tests. */
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'examples/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    teardownTimeout: 30_000,
    reporters: process.env.CI ? ['verbose'] : ['default'],
  },
});
