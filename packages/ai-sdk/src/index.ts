export { fromAiSdkTools } from './from-ai-sdk-tools.js';
export type { FromAiSdkToolsOptions } from './from-ai-sdk-tools.js';
export { CodeRunError, defaultMaxResultBytes, formatCodeRunResult, toAiSdkCodeTool } from './ai-sdk-code-tool.js';
export type { AiSdkCodeTool, AiSdkCodeToolSettings, CodeToolInput } from './ai-sdk-code-tool.js';
