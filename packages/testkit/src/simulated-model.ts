import { createHash } from "node:crypto";
import { type ChatMessage, type ChatRequest, type ChatTool, messageText } from "./chat-request.ts";
import type { ModelHandler } from "./model-server.ts";
import { ModelStep } from "./model-step.ts";
import { exampleValue } from "./schema-example.ts";
import { estimateTokens, truncateToTokens } from "./token-estimate.ts";

/** Options for {@link simulatedModel}. */
export interface SimulatedModelOptions {
  /** Model ids to list; requests may name any model whose name contains `simulated`. */
  readonly models?: readonly string[];
  /** Added before every answer, to stand in for a model's latency. @default 0 */
  readonly latencyMs?: number;
}

/** A deterministic stand-in for a model: spread it into {@link ModelServerOptions}. */
export interface SimulatedModel {
  readonly models: readonly string[];
  readonly handler: ModelHandler;
}

/** The models a simulated server lists unless told otherwise. */
export const simulatedModelIds: readonly string[] = ["simulated-small", "simulated-large"];

function digest(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

function clip(text: string, length: number): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length <= length ? flat : `${flat.slice(0, length - 1)}…`;
}

function lastUserText(messages: readonly ChatMessage[]): string {
  const user = messages.findLast((m) => m.role === "user");
  return user ? messageText(user) : "";
}

/** The tool the model calls: the one `tool_choice` names, else one picked by the conversation. */
function chosenTool(request: ChatRequest, seed: string): ChatTool | undefined {
  const tools = request.tools ?? [];
  const choice = request.tool_choice;
  if (typeof choice === "object")
    return tools.find((t) => t.function.name === choice.function.name);
  return tools[Number.parseInt(seed.slice(0, 8), 16) % tools.length];
}

function wantsToolCall(request: ChatRequest, last: ChatMessage): boolean {
  const choice = request.tool_choice;
  if (!request.tools?.length || choice === "none") return false;
  return last.role === "user" || choice === "required" || typeof choice === "object";
}

/** The text after tool results: it names each tool and quotes what it returned. */
function afterToolResults(messages: readonly ChatMessage[]): string {
  const names = new Map<string, string>();
  for (const message of messages) {
    for (const call of message.tool_calls ?? []) names.set(call.id, call.function.name);
  }
  const results: string[] = [];
  for (let i = messages.length - 1; i >= 0 && messages[i]?.role === "tool"; i--) {
    const message = messages[i] as ChatMessage;
    const tool = names.get(message.tool_call_id ?? "") ?? "tool";
    results.unshift(`the ${tool} tool returned ${clip(messageText(message), 200)}`);
  }
  return `Simulated answer: ${results.join("; ")}.`;
}

function structuredText(request: ChatRequest, seed: string, plain: string): string | undefined {
  const format = request.response_format;
  if (format?.type === "json_schema") {
    const { name = "response", schema = {} } = format.json_schema ?? {};
    return JSON.stringify(
      exampleValue(schema, { name, context: { seed, text: lastUserText(request.messages) } }),
    );
  }
  if (format?.type === "json_object") return JSON.stringify({ answer: plain });
  return undefined;
}

/** The deterministic answer to a request the simulated model serves. */
function answer(request: ChatRequest): ModelStep {
  const seed = digest(JSON.stringify([request.messages, request.tools ?? null]));
  const last = request.messages.at(-1) as ChatMessage;
  const tool = wantsToolCall(request, last) ? chosenTool(request, seed) : undefined;
  if (tool) {
    const name = tool.function.name;
    const text = lastUserText(request.messages);
    const parameters = tool.function.parameters ?? { type: "object", properties: {} };
    const args = exampleValue(parameters, { name, context: { seed, text } });
    return ModelStep.toolCalls({
      id: `call_${seed.slice(0, 24)}`,
      name,
      arguments: typeof args === "object" && args !== null ? (args as Record<string, unknown>) : {},
    });
  }
  const plain =
    last.role === "tool"
      ? afterToolResults(request.messages)
      : `Simulated reply ${seed.slice(0, 8)} (${request.model}) to "${clip(lastUserText(request.messages), 80)}"`;
  const text = structuredText(request, seed, plain) ?? plain;
  const limit = request.max_completion_tokens ?? request.max_tokens;
  if (limit !== undefined && estimateTokens(text) > limit) {
    return ModelStep.text(truncateToTokens(text, limit), { finishReason: "length" });
  }
  return ModelStep.text(text);
}

/**
 * A deterministic model for offline use and tests: the same messages always get the same answer.
 * With tools offered and the user speaking last, it calls one tool (the one `tool_choice` names,
 * else one chosen by a hash of the conversation) with arguments built from the tool's JSON
 * Schema; after tool results it answers with text quoting them; otherwise it answers with a hash
 * of the conversation and an echo of the user's last message. `response_format` JSON schemas are
 * honoured with an example value; `max_tokens` cuts the text with `finish_reason` "length".
 * Usage is estimated at four characters per token. Models must have `simulated` in their name;
 * others get 404 `model_not_found`, so a misconfigured agent shows up at once.
 */
export function simulatedModel(options: SimulatedModelOptions = {}): SimulatedModel {
  const latencyMs = options.latencyMs ?? 0;
  const handler: ModelHandler = (request) => {
    if (!/simulated/i.test(request.model)) {
      return ModelStep.error({
        status: 404,
        message: `The model \`${request.model}\` does not exist or you do not have access to it. The simulated model server serves models whose names contain "simulated": ${(options.models ?? simulatedModelIds).join(", ")}.`,
        param: "model",
        code: "model_not_found",
      });
    }
    const step = answer(request);
    return latencyMs > 0 ? ModelStep.delayed(latencyMs, step) : step;
  };
  return { models: options.models ?? simulatedModelIds, handler };
}
