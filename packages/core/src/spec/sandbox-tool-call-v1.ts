import type { ToolErrorCode } from '../errors.js';

/** A tool call made by guest code, as the adapter hands it to the host. */
export interface SandboxToolCallV1 {
  /** The tool's name (`SandboxToolV1.name`), not its identifier. */
  readonly name: string;
  /**
   * The input as JSON text, produced inside the guest with JSON semantics: `undefined`, functions
   * and symbols dropped (or `null` in arrays), non-finite numbers as `null`, `Date` via `toJSON`.
   * `undefined` when the guest passed no argument. Values that JSON cannot express (BigInt,
   * cycles) or that exceed `maxValueBytes` never reach the host: the adapter rejects the call in
   * the guest with `INVALID_INPUT` / `VALUE_TOO_LARGE`.
   */
  readonly inputJson: string | undefined;
}

/**
 * The host's answer to a tool call. `callTool` always resolves to one of these, it never rejects:
 * a failure is data that the adapter turns into a `ToolError` inside the guest.
 */
export type SandboxToolResultV1 =
  | {
      readonly type: 'success';
      /** The output as JSON text; `undefined` when the tool returned nothing. */
      readonly outputJson: string | undefined;
    }
  | {
      readonly type: 'error';
      /** Why the call failed; the guest sees it as `error.code` of a `ToolError`. */
      readonly code: ToolErrorCode;
      /** A message for the model, without host stack traces. */
      readonly message: string;
    };
