import { type ChatRequest, messageText } from "./chat-request.ts";

/** Characters per token in the estimate; close to what OpenAI's tokenisers give for English. */
const charactersPerToken = 4;

/**
 * A deterministic token count for text: one token per four characters, rounded up, at least one
 * for non-empty text. Not a tokeniser; it only has to be stable and plausible so usage figures,
 * budgets and cost can be tested without a model.
 */
export function estimateTokens(text: string): number {
  if (text.length === 0) return 0;
  return Math.max(1, Math.ceil(text.length / charactersPerToken));
}

/** The longest prefix of `text` that {@link estimateTokens} counts as at most `tokens` tokens. */
export function truncateToTokens(text: string, tokens: number): string {
  return text.slice(0, Math.max(0, Math.floor(tokens)) * charactersPerToken);
}

/**
 * The prompt tokens of a request: its message texts, the tool calls it carries and the tool
 * definitions, each estimated with {@link estimateTokens}, plus three tokens of framing per
 * message as OpenAI's chat format adds.
 */
export function estimatePromptTokens(request: ChatRequest): number {
  let tokens = 0;
  for (const message of request.messages) {
    tokens += 3 + estimateTokens(messageText(message));
    for (const call of message.tool_calls ?? []) {
      tokens += estimateTokens(call.function.name) + estimateTokens(call.function.arguments);
    }
  }
  if (request.tools) tokens += estimateTokens(JSON.stringify(request.tools));
  return tokens;
}
