export { LocalE2BCloud, LocalE2BCommandHandle, LocalE2BCommands, LocalE2BFilesystem, LocalE2BSandbox, localE2BSupport } from './local-e2b.js';
export type { LocalE2BCloudSettings, LocalE2BFaults, LocalE2BOperation, LocalE2BSandboxClass } from './local-e2b.js';
