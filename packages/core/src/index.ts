export { defineTool, jsonSchemaTool, isTool } from './tool.js';
export { JsonSchemaCompileError } from './json-schema/compile-json-schema.js';
export type {
  AnyTool,
  JsonSchemaToolDefinition,
  NeedsApproval,
  Tool,
  ToolDefinition,
  ToolExecutionContext,
  ToolParseResult,
} from './tool.js';
export { createToolset, isToolset, toToolset } from './toolset.js';
export type { Toolset, ToolsetEntry } from './toolset.js';
export { assignIdentifiers, isSafeIdentifier } from './identifiers.js';
export { defaultLimits, maxValueDepth, resolveLimits, toolCallPreviewBytes } from './limits.js';
export type { Limits } from './limits.js';
export {
  SandboxConfigurationError,
  SandboxConnectionError,
  SandboxDisposedError,
  SandboxError,
  SandboxStartError,
  ToolError,
} from './errors.js';
export type { SandboxErrorCode, SandboxErrorOptions, ToolErrorCode, ToolErrorOptions } from './errors.js';
export type { RunError, RunErrorCode, ValidationRule } from './run-error.js';
export type { JsonSchema, JsonSchemaObject, JsonValue } from './json.js';
export type { ResolvedLimitsV1 } from './spec/resolved-limits-v1.js';
export type { SandboxCapabilitiesV1 } from './spec/sandbox-capabilities-v1.js';
export type { SandboxExecuteRequestV1 } from './spec/sandbox-execute-request-v1.js';
export type { SandboxExecuteResultV1, SandboxOutputV1 } from './spec/sandbox-execute-result-v1.js';
export type { SandboxEventV1, SandboxOutputEventV1 } from './spec/sandbox-event-v1.js';
export type { SandboxLanguage } from './spec/sandbox-language.js';
export type { SandboxToolCallV1, SandboxToolResultV1 } from './spec/sandbox-tool-call-v1.js';
export type { SandboxToolParameterV1, SandboxToolV1 } from './spec/sandbox-tool-v1.js';
export type { Sandbox, SandboxV1 } from './spec/sandbox-v1.js';
export { runCode } from './run-code.js';
export type { RunCodeOptions } from './run-code.js';
export type { RunEvent } from './run-event.js';
export { codecallAttributes, coreTracerName } from './telemetry.js';
export type { RunFailure, RunResult, RunResultBase, RunSuccess } from './run-result.js';
export { createDispatcher } from './dispatcher.js';
export type { ApprovalRequest, Dispatcher, DispatcherSettings } from './dispatcher.js';
export { createToolCallBudget } from './tool-call-budget.js';
export type { ToolCallBudget, ToolCallBudgetSettings } from './tool-call-budget.js';
export { recordToolResults, replayToolResults } from './tool-recording.js';
export type { ReplayToolResultsOptions, ToolCassette, ToolCassetteCall, ToolCassetteTool, ToolRecording } from './tool-recording.js';
export type { ToolCallRecord } from './trace.js';
export { generateDeclarations } from './declarations/generate-declarations.js';
export type { GenerateDeclarationsOptions } from './declarations/generate-declarations.js';
export type { SandboxValidationPolicyV1 } from './spec/sandbox-validation-policy-v1.js';
export { defaultValidationPolicy, resolveValidationPolicy } from './validation/validation-policy.js';
export type { ValidationPolicy } from './validation/validation-policy.js';
export { validateJavaScript } from './validation/validate-javascript.js';
export type { CodeValidationResult } from './validation/validation-error.js';
