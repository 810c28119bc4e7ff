export { defaultMaxNestedCallBatches, runAgent } from './run-agent.js';
export type { AgentApprovalRequest, AgentCodeToolOptions, AgentMode, RunAgentOptions } from './run-agent.js';
export { resumeAgent } from './resume-agent.js';
export type { ResumeAgentOptions } from './resume-agent.js';
export type {
  AgentCheckpoint,
  AgentCheckpointCounters,
  AgentCheckpointSettings,
  CheckpointPendingCall,
  CodeRunJournalEntry,
  PendingApproval,
} from './agent-checkpoint.js';
export type { ApprovalDecision } from './journaled-code-run.js';
export type { AgentEvent } from './agent-event.js';
export { anthropicTracerName } from './agent-telemetry.js';
export type { AgentMetrics, AgentToolCallCounts } from './agent-metrics.js';
export type { AgentResult, AgentStatus, AgentToolCall } from './agent-result.js';
export { AgentError, isRetryableStatus, toAgentError } from './agent-error.js';
export type { AgentErrorCode, AgentErrorOptions } from './agent-error.js';
export { anthropicToolName, defaultCodeExecutionToolType, findToolByApiName, toAnthropicTools } from './anthropic-tools.js';
export type { AnthropicToolsOptions, CodeExecutionToolType } from './anthropic-tools.js';
export { callersOf, defaultCallers, withCallers } from './callers.js';
export type { ToolCaller, ToolCallers } from './callers.js';
export { createCodeTool, defaultCodeToolName, defaultLanguageOf, defaultMaxResultBytes, formatRunResult, truncateText } from './code-tool.js';
export type { CodeTool, CodeToolDescriptionContext, CodeToolRunOptions, CodeToolRunResult, CodeToolSettings, FormatRunResultOptions } from './code-tool.js';
export { declarationsFor } from './declarations.js';
export { anthropicToolResultValue, fromAnthropicTool, fromAnthropicTools } from './interop/from-anthropic-tools.js';
export type { FromAnthropicToolsOptions } from './interop/from-anthropic-tools.js';
export { toRunnableCodeTool } from './interop/runnable-code-tool.js';
export type { RunnableCodeTool, RunnableCodeToolOptions } from './interop/runnable-code-tool.js';
