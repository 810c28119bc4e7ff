export { createMcpToolset } from './mcp-toolset.js';
export type { McpHttpServerSettings, McpServerSettings, McpSkippedTool, McpStdioServerSettings, McpToolset, McpToolsetSettings } from './mcp-toolset.js';
export { McpToolsetError } from './mcp-toolset-error.js';
export type { McpToolsetErrorCode, McpToolsetErrorOptions } from './mcp-toolset-error.js';
export { unwrapToolResult } from './unwrap-tool-result.js';
