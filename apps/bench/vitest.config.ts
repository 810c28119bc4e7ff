import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    // Generous: these bound a hang, not a speed (the --quick run in cli.test.ts's beforeAll takes
    // several times longer on a busy machine than on a quiet one).
    testTimeout: 300_000,
    hookTimeout: 660_000,
    // The end-to-end tests spawn the CLI and measure; run files one at a time on a 2-core machine.
    fileParallelism: false,
  },
});
