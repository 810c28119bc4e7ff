/** A tool as the guest sees it. */
export interface SandboxToolV1 {
  /** The tool's own name (may contain `.` or `-`); tool calls are reported under this name. */
  readonly name: string;
  /**
   * The name guest code calls it by: a valid identifier in JavaScript and Python that shadows no
   * keyword or runtime global. The adapter installs one async function of one object argument per
   * tool under this name.
   */
  readonly identifier: string;
}
