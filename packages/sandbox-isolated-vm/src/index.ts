export { IsolatedVmSandbox, createIsolatedVmSandbox, hasNoNodeSnapshotFlag } from './isolated-vm-sandbox.js';
export type { IsolatedVmSandboxMode, IsolatedVmSandboxSettings } from './isolated-vm-sandbox.js';
