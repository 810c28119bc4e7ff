import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // The end-to-end tests spawn the CLI and measure; run files one at a time on a 2-core machine.
    fileParallelism: false,
  },
});
