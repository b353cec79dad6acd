export type { ArgumentIssue, JsonSchemaObject } from "./arguments-schema.ts";
export { compileArgumentsSchema } from "./arguments-schema.ts";
export type { CallToolOptions } from "./call-tool.ts";
export { callTool } from "./call-tool.ts";
export type { ServedTool, ToolCallContext, ToolSpec } from "./serve-tool.ts";
export { serveTool } from "./serve-tool.ts";
export { ToolError } from "./tool-error.ts";
