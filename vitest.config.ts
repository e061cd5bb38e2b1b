import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    // Tests that need a Debian package (Chromium, redis-server, tmux) run in `npm run test:e2e`.
    exclude: ['test/e2e/**', '**/node_modules/**'],
    // An unhandled rejection anywhere fails the run (vitest's default); keep it that way.
    dangerouslyIgnoreUnhandledErrors: false,
    testTimeout: 20_000,
  },
});
