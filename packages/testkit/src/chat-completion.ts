import type { TokenUsage } from "./model-step.ts";

/** `finish_reason` of a chat completion choice. */
export type FinishReason = "stop" | "length" | "content_filter" | "tool_calls";

/** A tool call as the server sends it: arguments are always a string, valid JSON or not. */
export interface ReplyToolCall {
  readonly id: string;
  readonly name: string;
  readonly arguments: string;
}

/** What the assistant answers, before it is framed as a completion or a stream of chunks. */
export interface AssistantReply {
  readonly content: string | null;
  readonly toolCalls: readonly ReplyToolCall[];
  readonly finishReason: FinishReason;
  readonly usage: TokenUsage;
}

/** The fields every completion and chunk of one response share. */
export interface CompletionFrame {
  /** `chatcmpl-…`, the same for all chunks of a stream. */
  readonly id: string;
  /** Unix seconds. */
  readonly created: number;
  readonly model: string;
}

/** OpenAI's `usage` object, with the detail fields the API always includes. */
export function usageBody(usage: TokenUsage): Record<string, unknown> {
  return {
    prompt_tokens: usage.promptTokens,
    completion_tokens: usage.completionTokens,
    total_tokens: usage.promptTokens + usage.completionTokens,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

/** The wire form of a tool call inside an assistant message. */
export function toolCallBody(call: ReplyToolCall): Record<string, unknown> {
  return {
    id: call.id,
    type: "function",
    function: { name: call.name, arguments: call.arguments },
  };
}

/** A complete `chat.completion` object, field for field as OpenAI sends it. */
export function chatCompletionBody(
  frame: CompletionFrame,
  reply: AssistantReply,
): Record<string, unknown> {
  const message: Record<string, unknown> = {
    role: "assistant",
    content: reply.content,
    refusal: null,
    annotations: [],
  };
  if (reply.toolCalls.length > 0) message.tool_calls = reply.toolCalls.map(toolCallBody);
  return {
    id: frame.id,
    object: "chat.completion",
    created: frame.created,
    model: frame.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: reply.finishReason }],
    usage: usageBody(reply.usage),
    service_tier: "default",
    system_fingerprint: null,
  };
}
