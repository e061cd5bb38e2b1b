import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    // An unhandled rejection anywhere fails the run (vitest's default); keep it that way.
    dangerouslyIgnoreUnhandledErrors: false,
    testTimeout: 20_000,
  },
});
