import type { SandboxLanguage } from './sandbox-language.js';

/**
 * What a sandbox adapter can do. The conformance suite gates its cases on these fields and on
 * nothing else, so an adapter must declare them honestly.
 */
export interface SandboxCapabilitiesV1 {
  /** Languages `execute` accepts. A request in another language is a host fault (`SandboxError`). */
  readonly languages: readonly SandboxLanguage[];
  /**
   * The boundary between guest code and the host:
   * - `isolate`: a V8 isolate in the host process (or in a supervised child process of it);
   * - `process`: an OS process with the host's privileges but a scrubbed environment;
   * - `jail`: an OS process in its own namespaces (no network, private file system and PIDs);
   * - `microvm`: a virtual machine, usually remote.
   */
  readonly isolation: 'isolate' | 'process' | 'jail' | 'microvm';
  /** Whether guest code can open network connections (e.g. `fetch`). */
  readonly network: boolean;
  /** Whether guest code can read and write files (in a private, temporary directory). */
  readonly filesystem: boolean;
  /**
   * Whether the runtime's own process APIs (`process`, `require`, `os`, `subprocess`…) are
   * visible to guest code. They always belong to the guest's own process, never to the host's.
   */
  readonly processApi: boolean;
  /** Whether `memoryLimitBytes` is enforced. */
  readonly memoryLimit: boolean;
  /**
   * Whether the adapter reports guest output while the run goes on, through
   * `SandboxExecuteRequestV1.onEvent`. Optional; absent means `false`: `runCode` then reports the
   * whole output when the run ends. Added after v1 shipped, so adapters written before it stay valid.
   */
  readonly liveOutput?: boolean;
}
