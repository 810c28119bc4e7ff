import { describeSandboxConformance } from '@codecall/sandbox-conformance';
import { createIsolatedVmSandbox } from '../src/index.js';

describeSandboxConformance({ name: 'isolated-vm (in-process)', createSandbox: () => createIsolatedVmSandbox({ mode: 'in-process' }), knownFailures: {} });
describeSandboxConformance({ name: 'isolated-vm (supervised)', createSandbox: () => createIsolatedVmSandbox({ mode: 'supervised' }), knownFailures: {} });
