import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // isolated-vm requires the host Node to run without its startup snapshot.
    execArgv: ['--no-node-snapshot'],
    testTimeout: 30_000,
  },
});
