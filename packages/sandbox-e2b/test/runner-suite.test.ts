import { describeRunnerSuite } from '@codecall/runner/testing';
import { afterAll, describe, it } from 'vitest';
import { createE2BSandbox } from '../src/index.js';
import { LocalE2BCloud, localE2BSupport } from '../src/testing/index.js';

// The runner suite of @codecall/runner (hostile protocol messages) over E2B's transport, through
// the local stand-in (real processes behind the SDK's surface).
const support = localE2BSupport();

if (!support.supported) {
  describe('e2b (local stand-in): runner suite', () => {
    it.skip(`skipped: ${support.reason}`, () => undefined);
  });
} else {
  const cloud = new LocalE2BCloud();
  afterAll(() => cloud.shutdown());
  describeRunnerSuite({
    name: 'e2b (local stand-in)',
    createSandbox: () => createE2BSandbox({ sandboxClass: cloud.Sandbox, sandboxOptions: { apiKey: 'e2b_local' }, languages: ['javascript', 'python'] }),
  });
}
