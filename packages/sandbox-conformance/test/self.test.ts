import { describeSandboxConformance } from '../src/index.js';
import { createChildFixtureSandbox } from './fixtures/child-fixture-sandbox.js';

// The suite against a fixture that is NOT a sandbox (node:vm in a child process), to exercise the
// suite's machinery: gating, skips, known failures (it.fails) and the option checks.
describeSandboxConformance({
  name: 'self-test fixture (node:vm in a child process, NOT a sandbox)',
  createSandbox: () => createChildFixtureSandbox(),
  knownFailures: {
    // --max-old-space-size caps the V8 heap only: ArrayBuffers escape it, as the case shows.
    'limits.memory-external': 'ArrayBuffer backing stores are outside the V8 heap limit',
  },
  timeoutMs: 30_000,
});
