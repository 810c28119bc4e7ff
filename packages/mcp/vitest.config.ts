import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // isolated-vm requires the host Node to run without its startup snapshot.
    execArgv: ['--no-node-snapshot'],
    typecheck: { enabled: true, include: ['src/**/*.test-d.ts'] },
    // Real servers start as child processes on a shared 2-core machine: bound hangs generously.
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
