import type { AssistantReply } from "./chat-completion.ts";
import type { ChatRequest } from "./chat-request.ts";
import type { TextStep, ToolCallsStep } from "./model-step.ts";
import { estimatePromptTokens, estimateTokens } from "./token-estimate.ts";

/**
 * The reply a text or tool-calls step stands for: tool-call ids filled in, arguments encoded
 * (a string is kept verbatim, valid JSON or not) and usage estimated where the step gives none.
 */
export function scriptedReply(
  step: TextStep | ToolCallsStep,
  request: ChatRequest,
  requestIndex: number,
): AssistantReply {
  const toolCalls =
    step.kind === "tool-calls"
      ? step.calls.map((call, position) => ({
          id: call.id ?? `call_${requestIndex}_${position}`,
          name: call.name,
          arguments:
            typeof call.arguments === "string" ? call.arguments : JSON.stringify(call.arguments),
        }))
      : [];
  const content = step.kind === "text" ? step.text : (step.text ?? null);
  const completionText = (content ?? "") + toolCalls.map((c) => c.name + c.arguments).join("");
  return {
    content,
    toolCalls,
    finishReason: step.kind === "text" ? (step.finishReason ?? "stop") : "tool_calls",
    usage: {
      promptTokens: step.usage?.promptTokens ?? estimatePromptTokens(request),
      completionTokens: step.usage?.completionTokens ?? estimateTokens(completionText),
    },
  };
}
