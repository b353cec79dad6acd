import type { ChatMessage, PatinoxError } from "@patinox/contracts";
import { validationRejected } from "@patinox/validation";
import type {
  ChatCompletionMessageParam,
  ChatCompletionMessageToolCall,
} from "openai/resources/chat/completions";
import type { AgentSnapshot } from "./agent-snapshot.ts";
import { completeWithFallbacks, type ModelGuards, type ModelRequest } from "./model-chain.ts";
import type { ModelTarget } from "./model-providers.ts";
import type { PriceTable } from "./price-table.ts";
import type { RunProgress } from "./run-progress.ts";
import type { RunTelemetry } from "./telemetry/run-telemetry.ts";
import { invokeTool, type Sleep, type ToolCaller } from "./tool-invocation.ts";

/** Everything one run of the loop needs; the I/O (model clients, tool calls) comes in here. */
export interface AgentLoopOptions {
  /** The version the run started on; it finishes on it. */
  readonly snapshot: AgentSnapshot;
  /** The input after the input validators (possibly redacted). */
  readonly input: string | readonly ChatMessage[];
  /** The agent's model and its fallbacks, bound to their providers. */
  readonly models: readonly ModelTarget[];
  readonly callTool: ToolCaller;
  readonly prices: PriceTable;
  /** The run's signal: deadline, cancellation, shutdown. */
  readonly signal: AbortSignal;
  /** Written as the run goes, so an early end still reports steps, usage and partial output. */
  readonly progress: RunProgress;
  readonly sleep: Sleep;
  /** The run's events and spans. */
  readonly telemetry: RunTelemetry;
  /** Breakers, 429 retries and budget charges of the run's model calls. */
  readonly guards?: ModelGuards;
  /** Told of each failed model attempt (for logs). */
  readonly onModelFailure?: (failure: PatinoxError, target: ModelTarget) => void;
}

/** How the loop ended, when it ended without an error. */
export type LoopOutcome =
  | { readonly status: "completed"; readonly output: string }
  | { readonly status: "max_steps" };

/**
 * The agent loop: up to `limits.maxSteps` model calls. Tool calls are carried out (in
 * parallel, answered in order) and their results handed back; a final text goes through the
 * output validators, which approve it (possibly modified), reject it, or ask the model to try
 * again with their feedback as a new user message. Reaching the step limit is not an error:
 * the outcome is `max_steps` and the progress holds the partial output.
 *
 * @throws PatinoxError `validation_rejected` (a tool call or the output refused, or an output
 *   retry with no steps left), the model chain's failure, or the run's abort reason
 */
export async function runAgentLoop(options: AgentLoopOptions): Promise<LoopOutcome> {
  const { snapshot, progress, signal } = options;
  const { definition } = snapshot;
  const messages: ChatCompletionMessageParam[] = [
    { role: "system", content: definition.instructions },
    ...initialMessages(options.input),
  ];
  const maxSteps = definition.limits.maxSteps;
  for (let step = 1; step <= maxSteps; step++) {
    const answer = await completeWithFallbacks(options.models, modelRequest(snapshot, messages), {
      signal,
      timeoutMs: definition.model.timeoutMs,
      ...(options.onModelFailure ? { onFailure: options.onModelFailure } : {}),
      ...(options.guards ? { guards: options.guards } : {}),
      onAttempt: (attempt) => {
        const usage = attempt.completion?.usage;
        const cost = attempt.completion
          ? options.prices.cost(attempt.target.model, {
              inputTokens: usage?.prompt_tokens ?? 0,
              outputTokens: usage?.completion_tokens ?? 0,
            })
          : undefined;
        options.telemetry.modelAttempt(attempt, cost);
      },
    });
    const usage = answer.completion.usage;
    const tokens = {
      inputTokens: usage?.prompt_tokens ?? 0,
      outputTokens: usage?.completion_tokens ?? 0,
    };
    progress.recordModelCall({
      model: { name: answer.target.model, provider: answer.target.provider.name },
      ...tokens,
      costUsd: options.prices.cost(answer.target.model, tokens),
      fallback: answer.fallback,
    });
    const message = answer.completion.choices[0]?.message;
    // A refusal is the model's answer too; it goes through the output validators like text.
    const text = message?.content ?? message?.refusal ?? "";
    if (text !== "") progress.lastText = text;
    const toolCalls = message?.tool_calls ?? [];
    if (toolCalls.length > 0) {
      messages.push({
        role: "assistant",
        content: message?.content ?? null,
        tool_calls: toolCalls,
      });
      messages.push(...(await toolResults(toolCalls, options)));
      continue;
    }
    const checked = snapshot.validators.validateOutput(text);
    options.telemetry.verdicts(checked.trace);
    if (checked.verdict === "approve" || checked.verdict === "modify") {
      return { status: "completed", output: checked.value };
    }
    if (checked.verdict === "reject" || step === maxSteps) throw validationRejected(checked);
    progress.stats.outputRetries++;
    messages.push(
      { role: "assistant", content: text },
      { role: "user", content: checked.feedback },
    );
  }
  return { status: "max_steps" };
}

function initialMessages(input: string | readonly ChatMessage[]): ChatCompletionMessageParam[] {
  if (typeof input === "string") return [{ role: "user", content: input }];
  return input.map((m) => ({ role: m.role, content: m.content }));
}

function modelRequest(
  snapshot: AgentSnapshot,
  messages: readonly ChatCompletionMessageParam[],
): ModelRequest {
  const { model } = snapshot.definition;
  // A copy: the loop appends to its own list after the call.
  const request: ModelRequest = { messages: [...messages] };
  if (snapshot.modelTools.length > 0) request.tools = [...snapshot.modelTools];
  if (snapshot.responseFormat) request.response_format = snapshot.responseFormat;
  if (model.temperature !== undefined) request.temperature = model.temperature;
  if (model.maxOutputTokens !== undefined) request.max_tokens = model.maxOutputTokens;
  return request;
}

async function toolResults(
  calls: readonly ChatCompletionMessageToolCall[],
  options: AgentLoopOptions,
): Promise<ChatCompletionMessageParam[]> {
  const context = {
    snapshot: options.snapshot,
    callTool: options.callTool,
    signal: options.signal,
    progress: options.progress,
    sleep: options.sleep,
    telemetry: options.telemetry,
  };
  const results = await Promise.all(calls.map((call) => invokeTool(call, context)));
  return calls.map((call, i) => ({
    role: "tool",
    tool_call_id: call.id,
    content: results[i] ?? "",
  }));
}
