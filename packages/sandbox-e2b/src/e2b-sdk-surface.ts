import type {
  CommandHandle,
  CommandStartOpts,
  Commands,
  FilesystemWriteOpts,
  Sandbox,
  SandboxConnectOpts,
  SandboxOpts,
  WriteInfo,
} from '@e2b/code-interpreter';

/**
 * The part of an E2B `CommandHandle` the adapter uses: the command's `pid`, `wait()` for how it
 * ended (resolves on exit code 0, rejects with `CommandExitError` on another code and with an SDK
 * error when the stream to the sandbox broke), `kill()` and `disconnect()`. Every member is the
 * SDK's own type.
 */
export type E2BCommandHandle = Pick<CommandHandle, 'pid' | 'wait' | 'kill' | 'disconnect'>;

/**
 * The part of `sandbox.commands` the adapter uses: start a background command with stdin
 * enabled, write to its stdin, kill it. `sendStdin` and `kill` are the SDK's own signatures; `run`
 * is the SDK's background overload.
 */
export interface E2BCommands {
  /** `Commands.run` with `background: true`: starts the command and resolves with its handle. */
  run(cmd: string, opts: CommandStartOpts & { background: true }): Promise<E2BCommandHandle>;
  /** `Commands.sendStdin`. */
  sendStdin: Commands['sendStdin'];
  /** `Commands.kill` (SIGKILL). */
  kill: Commands['kill'];
}

/** The part of `sandbox.files` the adapter uses: `Filesystem.write` of one text file. */
export interface E2BFiles {
  /** `Filesystem.write(path, data)`; creates parent directories. */
  write(path: string, data: string, opts?: FilesystemWriteOpts): Promise<WriteInfo>;
}

/**
 * The part of an E2B `Sandbox` instance the adapter uses. A real `Sandbox` from
 * `@e2b/code-interpreter` (or `e2b`) satisfies it, and so does the package's local stand-in
 * (`@codecall/sandbox-e2b/testing`); a type test keeps both in step with the installed SDK.
 */
export interface E2BSandboxInstance {
  /** `Sandbox.sandboxId`. */
  readonly sandboxId: Sandbox['sandboxId'];
  /** `Sandbox.commands`. */
  readonly commands: E2BCommands;
  /** `Sandbox.files`. */
  readonly files: E2BFiles;
  /** `Sandbox.setTimeout`: the sandbox is killed this many ms from now unless refreshed. */
  setTimeout: Sandbox['setTimeout'];
  /** `Sandbox.kill`. */
  kill: Sandbox['kill'];
}

/**
 * How the adapter obtains sandboxes: `Sandbox` from `@e2b/code-interpreter` (the default), `e2b`'s
 * `Sandbox`, a subclass, or a stand-in with the same static methods.
 */
export interface E2BSandboxClass {
  /** `Sandbox.create(opts)`; `opts.template` picks the template (default: the class's own). */
  create(opts?: SandboxOpts): Promise<E2BSandboxInstance>;
  /** `Sandbox.connect(sandboxId, opts)`. */
  connect(sandboxId: string, opts?: SandboxConnectOpts): Promise<E2BSandboxInstance>;
}
