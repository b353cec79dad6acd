import type { MsgHdrs } from "@nats-io/nats-core";
import { type JsonValue, PatinoxError, toPatinoxError } from "@patinox/contracts";
import { passed, validationRejected } from "@patinox/validation";
import type { ChatCompletionMessageToolCall } from "openai/resources/chat/completions";
import type { AgentSnapshot, ToolBinding } from "./agent-snapshot.ts";
import type { RunProgress } from "./run-progress.ts";
import type { RunTelemetry } from "./telemetry/run-telemetry.ts";

/** Calls a tool over NATS (`callTool` bound to the connection); injected so tests can see calls. */
export type ToolCaller = (
  subject: string,
  args: unknown,
  options: {
    readonly timeoutMs: number;
    readonly signal: AbortSignal;
    /** Trace context of the tool span. */
    readonly headers?: MsgHdrs;
  },
) => Promise<unknown>;

/** Waits `ms`, or rejects with the signal's reason when it aborts first. */
export type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;

/** What a tool call needs from its run. */
export interface ToolInvocationContext {
  readonly snapshot: AgentSnapshot;
  readonly callTool: ToolCaller;
  readonly signal: AbortSignal;
  readonly progress: RunProgress;
  readonly sleep: Sleep;
  readonly telemetry: RunTelemetry;
}

/** First backoff between tool attempts; doubled per attempt, with jitter, up to the cap. */
const BACKOFF_BASE_MS = 50;
const BACKOFF_CAP_MS = 1_000;

/**
 * Carries out one tool call the model asked for and returns what the model reads as the tool
 * result. Nothing is called unless the tool exists, the arguments are JSON, they match the
 * tool's schema and the tool-stage validators pass; otherwise the problem goes back to the
 * model as the result (counted in the run's stats) so it can correct itself. A call that times
 * out or finds no responder is retried (`tool.retries`, with backoff); a failure after that
 * also goes back to the model.
 *
 * @throws the run's abort reason (deadline, cancellation); PatinoxError `validation_rejected`
 *   when a tool-stage validator rejects the call (a guard's refusal ends the run)
 */
export async function invokeTool(
  call: ChatCompletionMessageToolCall,
  context: ToolInvocationContext,
): Promise<string> {
  const { snapshot, progress } = context;
  if (call.type !== "function") {
    progress.stats.invalidToolCalls++;
    return "error: only function tools are available";
  }
  const tool = snapshot.tools.get(call.function.name);
  if (tool === undefined) {
    progress.stats.invalidToolCalls++;
    const names = [...snapshot.tools.keys()];
    return `error: there is no tool named ${JSON.stringify(call.function.name)}; the tools are: ${names.join(", ") || "(none)"}`;
  }
  const args = parseArguments(call.function.arguments);
  if (!args.ok) {
    progress.stats.invalidToolCalls++;
    context.telemetry.startToolCall(tool.config.name, call.id).end("invalid_args", 1);
    return `error: the arguments are not valid JSON (${args.reason}). Call ${tool.config.name} again with a JSON object matching its parameters.`;
  }
  const issues = tool.checkArguments(args.value);
  if (issues.length > 0) {
    progress.stats.invalidToolCalls++;
    context.telemetry.startToolCall(tool.config.name, call.id).end("invalid_args", 1);
    const listed = issues.map((issue) => `${issue.path} ${issue.message}`).join("; ");
    return `error: the arguments do not match the parameters of ${tool.config.name}: ${listed}. Call it again with corrected arguments.`;
  }
  const checked = snapshot.validators.validateToolCall({
    tool: tool.config.name,
    arguments: args.value,
  });
  context.telemetry.verdicts(checked.trace, tool.config.name);
  if (checked.verdict === "retry") {
    progress.stats.toolCallsSentBack++;
    return `error: ${checked.feedback}`;
  }
  if (!passed(checked)) throw validationRejected(checked);
  progress.stats.toolCalls++;
  return await callWithRetries(tool, checked.value.arguments, call.id, context);
}

async function callWithRetries(
  tool: ToolBinding,
  args: JsonValue,
  callId: string,
  context: ToolInvocationContext,
): Promise<string> {
  const { signal, progress } = context;
  const attempts = 1 + tool.config.retries;
  const span = context.telemetry.startToolCall(tool.config.name, callId);
  for (let attempt = 1; ; attempt++) {
    try {
      const result = await context.callTool(tool.subject, args, {
        timeoutMs: tool.config.timeoutMs,
        signal,
        headers: span.headers,
      });
      span.end("ok", attempt);
      return JSON.stringify(result) ?? "null";
    } catch (error) {
      // callTool reports an abort as its own `cancelled`; the run's reason says which abort it was.
      if (signal.aborted) {
        span.end("error", attempt, toPatinoxError(signal.reason).code);
        throw signal.reason;
      }
      const reason = transientReason(error);
      if (reason !== undefined && attempt < attempts) {
        progress.stats.toolRetries++;
        try {
          await context.sleep(backoffMs(attempt), signal);
        } catch (aborted) {
          span.end("error", attempt, toPatinoxError(signal.reason).code);
          throw aborted;
        }
        continue;
      }
      progress.stats.toolFailures++;
      span.end(reason === "timeout" ? "timeout" : "error", attempt, toPatinoxError(error).code);
      return `error: ${failureText(tool, error, reason, attempt)}`;
    }
  }
}

/** `timeout` or `no_responders` when a retry may help; anything else is the tool's answer. */
function transientReason(error: unknown): "timeout" | "no_responders" | undefined {
  if (!(error instanceof PatinoxError) || error.code !== "tool_failure") return undefined;
  const reason = error.details?.reason;
  return reason === "timeout" || reason === "no_responders" ? reason : undefined;
}

function failureText(
  tool: ToolBinding,
  error: unknown,
  reason: "timeout" | "no_responders" | undefined,
  attempts: number,
): string {
  const tries = attempts === 1 ? "1 attempt" : `${attempts} attempts`;
  if (reason === "timeout") {
    return `the tool ${tool.config.name} timed out (${tool.config.timeoutMs} ms, ${tries})`;
  }
  if (reason === "no_responders") {
    return `the tool ${tool.config.name} is not available (nothing answers on its subject, ${tries})`;
  }
  // A PatinoxError's message is data meant for callers (a ToolError's text, the schema issues
  // a tool reported); anything else may hold internals and is not passed to the model.
  if (error instanceof PatinoxError) return `the tool ${tool.config.name} failed: ${error.message}`;
  return `the tool ${tool.config.name} failed`;
}

function backoffMs(attempt: number): number {
  const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** (attempt - 1));
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

type ParsedArguments =
  | { readonly ok: true; readonly value: JsonValue }
  | { readonly ok: false; readonly reason: string };

function parseArguments(text: string): ParsedArguments {
  // Some models send "" for a tool without parameters.
  if (text.trim() === "") return { ok: true, value: {} };
  try {
    return { ok: true, value: JSON.parse(text) as JsonValue };
  } catch (error) {
    return { ok: false, reason: error instanceof SyntaxError ? error.message : "unreadable" };
  }
}
