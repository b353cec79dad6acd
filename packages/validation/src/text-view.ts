import type { ChatMessage, JsonValue } from "@patinox/contracts";

/** What the `input` stage checks: the caller's text, or its conversation. */
export type RunInput = string | readonly ChatMessage[];

/**
 * What the `tool` stage checks: a tool call the model asked for, with its arguments already
 * parsed from JSON, before the call is made (and a tool's result, before the model sees it).
 */
export interface ToolCall {
  /** The tool's name (already known to the definition). */
  readonly tool: string;
  /** The parsed arguments (or the result). */
  readonly arguments: JsonValue;
}

/**
 * How the text validators (size, deny patterns, prompt injection, redaction) see the value of
 * one stage, so each is written once for all three stages.
 */
export interface TextView<T> {
  /** What the value is, in reasons: "input", "tool call", "output". */
  readonly noun: string;
  /** Every piece of text a checking validator reads. */
  texts(value: T): readonly string[];
  /**
   * The value with every rewritable piece of text passed through `rewrite`; the same object
   * when nothing changed, so an untouched value is never copied.
   */
  rewrite(value: T, rewrite: (text: string) => string): T;
  /**
   * The value's size in UTF-8 bytes, as `max_input_size` measures it; `Infinity` when it cannot
   * be measured, which fails the size check closed.
   */
  byteLength(value: T): number;
}

/** The output: the model's final text. */
export const outputView: TextView<string> = Object.freeze({
  noun: "output",
  texts: (value: string) => [value],
  rewrite: (value: string, rewrite: (text: string) => string) => rewrite(value),
  byteLength: (value: string) => Buffer.byteLength(value, "utf8"),
});

/**
 * The input: a text, or each message's content. Roles are not text: they are a closed set
 * the contracts check. The size is the sum of the contents, what the model is sent.
 */
export const inputView: TextView<RunInput> = Object.freeze({
  noun: "input",
  texts: (value: RunInput) => (typeof value === "string" ? [value] : value.map((m) => m.content)),
  rewrite(value: RunInput, rewrite: (text: string) => string): RunInput {
    if (typeof value === "string") return rewrite(value);
    let changed = false;
    const messages = value.map((message) => {
      const content = rewrite(message.content);
      if (content === message.content) return message;
      changed = true;
      return { ...message, content };
    });
    return changed ? messages : value;
  },
  byteLength(value: RunInput): number {
    if (typeof value === "string") return Buffer.byteLength(value, "utf8");
    let total = 0;
    for (const message of value) total += Buffer.byteLength(message.content, "utf8");
    return total;
  },
});

/**
 * A tool call's arguments. Checks read every string in them, object keys included (a model
 * can smuggle text into a key); redaction rewrites string values only, since a rewritten key
 * could collide with another and the tool's schema fixes the keys anyway. The size is the
 * arguments serialised as JSON, what is sent to the tool.
 */
export const toolCallView: TextView<ToolCall> = Object.freeze({
  noun: "tool call",
  texts: (value: ToolCall) => stringsOf(value.arguments),
  rewrite(value: ToolCall, rewrite: (text: string) => string): ToolCall {
    const args = rewriteStrings(value.arguments, rewrite);
    return args === value.arguments ? value : { ...value, arguments: args };
  },
  byteLength(value: ToolCall): number {
    try {
      return Buffer.byteLength(JSON.stringify(value.arguments) ?? "", "utf8");
    } catch {
      // Nesting too deep to serialise: too large by any measure.
      return Number.POSITIVE_INFINITY;
    }
  },
});

/** Every key and string value, without recursion so deep nesting cannot overflow the stack. */
function stringsOf(root: JsonValue): string[] {
  const found: string[] = [];
  const pending: JsonValue[] = [root];
  for (let value = pending.pop(); value !== undefined; value = pending.pop()) {
    if (typeof value === "string") found.push(value);
    else if (Array.isArray(value)) {
      // A loop, not push(...value): spreading a huge array overflows the argument limit.
      for (const item of value) pending.push(item);
    } else if (value !== null && typeof value === "object") {
      for (const [key, item] of Object.entries(value)) {
        found.push(key);
        pending.push(item);
      }
    }
  }
  return found;
}

/**
 * String values rewritten, sharing every untouched branch. Recursive: nesting deep enough to
 * overflow the stack throws, and the pipeline then fails closed (rejects).
 */
function rewriteStrings(value: JsonValue, rewrite: (text: string) => string): JsonValue {
  if (typeof value === "string") return rewrite(value);
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) {
    let changed = false;
    const items = value.map((item) => {
      const next = rewriteStrings(item, rewrite);
      if (next !== item) changed = true;
      return next;
    });
    return changed ? items : value;
  }
  let changed = false;
  const entries = Object.entries(value).map(([key, item]) => {
    const next = rewriteStrings(item, rewrite);
    if (next !== item) changed = true;
    return [key, next] as const;
  });
  // fromEntries defines own properties, so a `__proto__` key from JSON.parse stays a key
  // instead of replacing the prototype.
  return changed ? Object.fromEntries(entries) : value;
}
