/**
 * A failure a tool wants the model to read: its message goes back to the model as the tool
 * result (so write it for the model, e.g. "no order 1234"). Any other exception from a tool
 * handler is reported only as a generic `tool_failure`, since its text may hold anything.
 */
export class ToolError extends Error {
  override readonly name = "ToolError";
  readonly code = "tool_failure" as const;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}
