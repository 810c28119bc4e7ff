import { describeSandboxConformance } from '@codecall/sandbox-conformance';
import { afterAll, describe, it } from 'vitest';
import { createE2BSandbox } from '../src/index.js';
import type { LocalE2BCloudSettings } from '../src/testing/index.js';
import { LocalE2BCloud, localE2BSupport } from '../src/testing/index.js';

// The shared suite through the local stand-in of E2B's cloud (real processes, the SDK's surface and
// error classes). Each variant has a test file of its own (conformance.test.ts: plain;
// conformance-faults.test.ts: with the stream faults E2B's transport can produce), so that vitest
// runs them side by side: a run through the stand-in mostly waits on process and namespace set-up,
// not on the CPU.
const support = localE2BSupport();

// TypeScript is left out: inside the stand-in's jail the runner resolves the machine's own `node`,
// which on a fresh machine of this kind is Node 20 (no type stripping); tracked as a follow-up.
// One E2B sandbox serves many runs (that is what keeps warm starts cheap), and a VM has one /tmp.
const sharedSandbox = {
  'isolation.no-shared-state':
    'Runs on one E2B sandbox share its file system: each run gets a private working directory and TMPDIR (removed afterwards), but a file written to an absolute path such as /tmp/x is still there in the next run. Use a sandbox per trust domain.',
};

/** Registers the conformance suite over one local stand-in cloud with `settings`. */
export function describeLocalE2BConformance(name: string, settings: LocalE2BCloudSettings = {}): void {
  if (!support.supported) {
    describe(name, () => {
      it.skip(`skipped: ${support.reason}`, () => undefined);
    });
    return;
  }
  const cloud = new LocalE2BCloud(settings);
  afterAll(async () => {
    await cloud.shutdown();
  });
  describeSandboxConformance({
    name,
    createSandbox: () => createE2BSandbox({ sandboxClass: cloud.Sandbox, sandboxOptions: { apiKey: 'e2b_local' }, languages: ['javascript', 'python'] }),
    knownFailures: sharedSandbox,
  });
}
