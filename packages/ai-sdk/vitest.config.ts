import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // isolated-vm (the sandbox the tests run code in) requires Node without its startup snapshot.
    execArgv: ['--no-node-snapshot'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
