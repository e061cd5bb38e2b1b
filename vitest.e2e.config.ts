import { defineConfig } from 'vitest/config';

/**
 * `npm run test:e2e`: the tests that drive programs a user would have installed from Debian (Chromium for the
 * playground, redis-server for the fleet, tmux for the TUI under a terminal). `.ci/run` installs any that are
 * missing with apt-get, then runs these after `npm test`. Each test file says which binaries it needs.
 */
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.test.ts', 'test/e2e/**/*.test.tsx'],
    dangerouslyIgnoreUnhandledErrors: false,
    testTimeout: 120_000,
    hookTimeout: 60_000,
    // They start servers, browsers and terminals: one file at a time keeps two cores from thrashing.
    fileParallelism: false,
  },
});
