import {
  type AssistantReply,
  type CompletionFrame,
  type ReplyToolCall,
  usageBody,
} from "./chat-completion.ts";

/** Characters of tool-call arguments per chunk; small so clients must reassemble them. */
const argumentsPerChunk = 16;

/** Splits text after each run of whitespace, the way models stream word pieces. */
function textPieces(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [];
}

function argumentPieces(text: string): string[] {
  const pieces: string[] = [];
  for (let i = 0; i < text.length; i += argumentsPerChunk) {
    pieces.push(text.slice(i, i + argumentsPerChunk));
  }
  return pieces;
}

function toolCallDeltas(call: ReplyToolCall, index: number): Record<string, unknown>[] {
  const opening = {
    tool_calls: [
      { index, id: call.id, type: "function", function: { name: call.name, arguments: "" } },
    ],
  };
  const rest = argumentPieces(call.arguments).map((piece) => ({
    tool_calls: [{ index, function: { arguments: piece } }],
  }));
  return [opening, ...rest];
}

/** The `delta`s of a reply in order; the finish reason goes on a final empty delta. */
function deltas(reply: AssistantReply): Record<string, unknown>[] {
  const list: Record<string, unknown>[] = [];
  if (reply.content !== null) {
    list.push({ role: "assistant", content: "", refusal: null });
    for (const piece of textPieces(reply.content)) list.push({ content: piece });
  } else {
    list.push({ role: "assistant", content: null, refusal: null });
  }
  reply.toolCalls.forEach((call, index) => {
    list.push(...toolCallDeltas(call, index));
  });
  return list;
}

/**
 * The server-sent events of a streamed completion: `chat.completion.chunk` objects, each as
 * `data: {…}\n\n`, ending with `data: [DONE]\n\n`. With `include_usage` every chunk carries
 * `usage: null` and a last chunk with no choices carries the usage, as OpenAI does.
 */
export function chatCompletionEvents(
  frame: CompletionFrame,
  reply: AssistantReply,
  includeUsage: boolean,
): string[] {
  const chunk = (choices: unknown[], usage?: unknown) => ({
    id: frame.id,
    object: "chat.completion.chunk",
    created: frame.created,
    model: frame.model,
    service_tier: "default",
    system_fingerprint: null,
    choices,
    ...(includeUsage ? { usage: usage ?? null } : {}),
  });
  const choice = (delta: unknown, finishReason: string | null) => ({
    index: 0,
    delta,
    logprobs: null,
    finish_reason: finishReason,
  });
  const chunks = deltas(reply).map((delta) => chunk([choice(delta, null)]));
  chunks.push(chunk([choice({}, reply.finishReason)]));
  if (includeUsage) chunks.push(chunk([], usageBody(reply.usage)));
  return [...chunks.map((c) => `data: ${JSON.stringify(c)}\n\n`), "data: [DONE]\n\n"];
}
