import { describeSandboxConformance } from '@codecall/sandbox-conformance';
import { createSubprocessSandbox } from '../src/index.js';

// The plain launcher is isolation 'process': the child sees the host's file system. On a root
// host it runs without capabilities, so it cannot read the host's /proc/<pid>/environ (the host
// holds capabilities it lacks); on any other host it has the host's uid and can.
const plainOnly = {
  ...(process.getuid?.() === 0
    ? {}
    : {
        'isolation.host-environment':
          'A plain child of a non-root host runs as the host user, so it can read /proc/<host pid>/environ (its parent); only the jail (own PID namespace and uid) hides it.',
      }),
  'isolation.no-shared-state':
    'A plain child sees the host file system, so a file it writes to /tmp is still there in the next run; only the jail launcher gives each run a private /tmp.',
};

describeSandboxConformance({
  name: 'subprocess (plain)',
  createSandbox: () => createSubprocessSandbox({ jail: false }),
  knownFailures: plainOnly,
});

describeSandboxConformance({
  name: 'subprocess (jail, the default)',
  createSandbox: () => createSubprocessSandbox(),
});
