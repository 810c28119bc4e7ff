import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // isolated-vm (used by the programmatic-mode tests) requires Node without its startup snapshot.
    execArgv: ['--no-node-snapshot'],
    testTimeout: 60_000,
  },
});
