export { createMessagesSimulator, simulatedTimeHeader } from './messages-simulator.js';
export type { MessagesSimulator, MessagesSimulatorSettings, SimulatorExchange, SimulatorFault } from './messages-simulator.js';
export { scriptedPolicy } from './policy.js';
export type {
  PolicyBlock,
  PolicyCodeExecution,
  PolicyCodeExecutionResult,
  PolicyCodeTool,
  PolicyMode,
  PolicyRequest,
  PolicyTool,
  PolicyToolResult,
  PolicyTurn,
  SimulatorPolicy,
} from './policy.js';
export { decodeMs, latencyPresets, prefillMs, responseLatencyMs } from './latency-model.js';
export type { LatencyInput, LatencyModel, LatencyPresetName } from './latency-model.js';
export { countTokens, PromptCache, simulatorTokenizer } from './token-accounting.js';
export { defaultNestedCallBatchWindowMs } from './messages-simulator.js';
export { messageOverheadTokens } from './request-view.js';
export type { InputUsage, PromptCacheSettings, PromptSegment } from './token-accounting.js';
