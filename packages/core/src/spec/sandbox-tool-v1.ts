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
  /**
   * The properties of the tool's input schema in declaration order, when the schema lists them
   * (absent otherwise). Python runners map positional arguments onto them: required ones are
   * positional-or-keyword in this order, optional ones keyword-only (see docs/guest-contract.md).
   */
  readonly parameters?: readonly SandboxToolParameterV1[];
}

/** One named parameter of a tool: a property of its input schema. */
export interface SandboxToolParameterV1 {
  /** The property name. */
  readonly name: string;
  /** Whether the input schema lists it in `required`. */
  readonly required: boolean;
}
