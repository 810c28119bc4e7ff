import { describeSandboxConformance } from '../src/index.js';
import { createWorkerFixtureSandbox } from './fixtures/worker-fixture-sandbox.js';

// The suite against a fixture that is NOT a sandbox (node:vm in a worker thread), to exercise the
// suite's machinery: gating, skips, known failures (it.fails) and the option checks.
describeSandboxConformance({
  name: 'self-test fixture (node:vm in a worker thread, NOT a sandbox)',
  createSandbox: () => createWorkerFixtureSandbox(),
  knownFailures: {
    // Worker resourceLimits cap the V8 heap only: ArrayBuffers escape it, as the case shows.
    'limits.memory-external': 'ArrayBuffer backing stores are outside the worker heap limit',
  },
  timeoutMs: 30_000,
});
