import { type ErrorStep, ModelStep } from "./model-step.ts";

/** A JSON Schema object as it appears in a tool's `parameters` or a `response_format`. */
export type JsonSchema = { readonly [keyword: string]: unknown };

/** The roles OpenAI accepts in `messages`. */
export type ChatRole = "system" | "developer" | "user" | "assistant" | "tool" | "function";

/** A part of a multi-part message content (`{ type: "text", text }` and others). */
export interface ChatContentPart {
  readonly type: string;
  readonly text?: string;
  readonly [field: string]: unknown;
}

/** A tool call as the client sends it back inside an assistant message. */
export interface ChatToolCall {
  readonly id: string;
  readonly type: "function";
  readonly function: { readonly name: string; readonly arguments: string };
}

/** One entry of `messages`, checked for the fields OpenAI requires of its role. */
export interface ChatMessage {
  readonly role: ChatRole;
  readonly content?: string | readonly ChatContentPart[] | null;
  readonly name?: string;
  readonly tool_calls?: readonly ChatToolCall[];
  readonly tool_call_id?: string;
  readonly [field: string]: unknown;
}

/** A function the client offers the model. */
export interface ChatTool {
  readonly type: "function";
  readonly function: {
    readonly name: string;
    readonly description?: string;
    readonly parameters?: JsonSchema;
    readonly strict?: boolean | null;
  };
}

/** `tool_choice` as OpenAI accepts it. */
export type ChatToolChoice =
  | "none"
  | "auto"
  | "required"
  | { readonly type: "function"; readonly function: { readonly name: string } };

/**
 * A `POST /v1/chat/completions` body that passed the server's checks. Fields the server does not
 * interpret are kept as sent, so tests can assert on anything the client put in.
 */
export interface ChatRequest {
  readonly model: string;
  readonly messages: readonly ChatMessage[];
  readonly tools?: readonly ChatTool[];
  readonly tool_choice?: ChatToolChoice;
  readonly stream?: boolean;
  readonly stream_options?: { readonly include_usage?: boolean };
  readonly max_tokens?: number;
  readonly max_completion_tokens?: number;
  readonly temperature?: number;
  readonly response_format?: {
    readonly type: string;
    readonly json_schema?: { readonly name?: string; readonly schema?: JsonSchema };
  };
  readonly [field: string]: unknown;
}

/** The outcome of {@link parseChatRequest}: the request, or the 400 OpenAI would answer. */
export type ChatRequestCheck =
  | { readonly ok: true; readonly request: ChatRequest }
  | { readonly ok: false; readonly error: ErrorStep };

type Json = Record<string, unknown>;

class Rejection extends Error {
  override readonly name = "Rejection";
  readonly step: ErrorStep;
  constructor(message: string, param: string | null = null, code: string | null = null) {
    super(message);
    this.step = ModelStep.error({ status: 400, message, param, code });
  }
}

const roles: readonly ChatRole[] = ["system", "developer", "user", "assistant", "tool", "function"];
const functionName = /^[a-zA-Z0-9_-]{1,64}$/;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

function expectType(ok: boolean, value: unknown, param: string, expected: string): void {
  if (!ok) {
    throw new Rejection(
      `Invalid type for '${param}': expected ${expected}, but got ${typeName(value)} instead.`,
      param,
      "invalid_type",
    );
  }
}

function checkContent(message: Json, at: string, required: boolean): void {
  const content = message.content;
  if (content === undefined || content === null) {
    if (required) {
      throw new Rejection(
        `Missing required parameter: '${at}.content'.`,
        `${at}.content`,
        "missing_required_parameter",
      );
    }
    return;
  }
  const ok =
    typeof content === "string" ||
    (Array.isArray(content) &&
      content.every((part) => isObject(part) && typeof part.type === "string"));
  expectType(ok, content, `${at}.content`, "a string or an array of content parts");
}

function checkToolCalls(calls: unknown, at: string): void {
  expectType(Array.isArray(calls), calls, `${at}.tool_calls`, "an array of objects");
  for (const [i, call] of (calls as unknown[]).entries()) {
    const path = `${at}.tool_calls[${i}]`;
    expectType(isObject(call), call, path, "an object");
    const { id, type, function: fn } = call as Json;
    expectType(typeof id === "string", id, `${path}.id`, "a string");
    if (type !== "function") {
      throw new Rejection(
        `Invalid value for '${path}.type': expected 'function'.`,
        `${path}.type`,
        "invalid_value",
      );
    }
    expectType(isObject(fn), fn, `${path}.function`, "an object");
    const { name, arguments: args } = fn as Json;
    expectType(typeof name === "string", name, `${path}.function.name`, "a string");
    expectType(typeof args === "string", args, `${path}.function.arguments`, "a string");
  }
}

function checkMessage(message: unknown, index: number): void {
  const at = `messages[${index}]`;
  expectType(isObject(message), message, at, "an object");
  const m = message as Json;
  if (!roles.includes(m.role as ChatRole)) {
    throw new Rejection(
      `Invalid value: '${String(m.role)}'. Supported values are: ${roles.map((r) => `'${r}'`).join(", ")}.`,
      `${at}.role`,
      "invalid_value",
    );
  }
  if (m.role === "assistant") {
    if (m.tool_calls !== undefined) checkToolCalls(m.tool_calls, at);
    checkContent(m, at, m.tool_calls === undefined);
    return;
  }
  checkContent(m, at, true);
  if (m.role === "tool") {
    expectType(
      typeof m.tool_call_id === "string",
      m.tool_call_id,
      `${at}.tool_call_id`,
      "a string",
    );
  }
}

/**
 * OpenAI answers 400 when an assistant's tool calls are not all answered by the tool messages
 * right after it, or a tool message answers nothing: the commonest agent-loop bug.
 */
function checkToolPairing(messages: readonly ChatMessage[]): void {
  let open = new Set<string>();
  for (const [i, message] of messages.entries()) {
    if (message.role === "tool") {
      if (!open.delete(message.tool_call_id ?? "")) {
        throw new Rejection(
          "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.",
          `messages.[${i}].role`,
        );
      }
      continue;
    }
    if (open.size > 0) {
      throw new Rejection(
        `An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: ${[...open].join(", ")}`,
        `messages.[${i}].role`,
      );
    }
    open = new Set((message.tool_calls ?? []).map((call) => call.id));
  }
  // Open calls at the very end are answered by nobody yet; OpenAI rejects that too.
  if (open.size > 0) {
    throw new Rejection(
      `An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: ${[...open].join(", ")}`,
      "messages",
    );
  }
}

function checkTools(body: Json): void {
  const { tools, tool_choice: choice } = body;
  if (tools !== undefined) {
    expectType(Array.isArray(tools), tools, "tools", "an array of objects");
    for (const [i, tool] of (tools as unknown[]).entries()) {
      expectType(
        isObject(tool) && tool.type === "function",
        tool,
        `tools[${i}]`,
        "a function tool",
      );
      const fn = (tool as Json).function;
      expectType(isObject(fn), fn, `tools[${i}].function`, "an object");
      const { name, parameters } = fn as Json;
      if (typeof name !== "string" || !functionName.test(name)) {
        throw new Rejection(
          `Invalid 'tools[${i}].function.name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.`,
          `tools[${i}].function.name`,
          "invalid_value",
        );
      }
      if (parameters !== undefined) {
        expectType(
          isObject(parameters),
          parameters,
          `tools[${i}].function.parameters`,
          "an object",
        );
      }
    }
  }
  if (choice !== undefined && tools === undefined) {
    throw new Rejection(
      "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.",
      "tool_choice",
    );
  }
}

function checkSampling(body: Json): void {
  const { stream, temperature, n } = body;
  if (stream !== undefined && stream !== null) {
    expectType(typeof stream === "boolean", stream, "stream", "a boolean");
  }
  if (temperature !== undefined && temperature !== null) {
    const ok = typeof temperature === "number" && temperature >= 0 && temperature <= 2;
    expectType(ok, temperature, "temperature", "a number from 0 to 2");
  }
  for (const param of ["max_tokens", "max_completion_tokens"] as const) {
    const value = body[param];
    if (value === undefined || value === null) continue;
    expectType(
      Number.isInteger(value) && (value as number) > 0,
      value,
      param,
      "a positive integer",
    );
  }
  if (n !== undefined && n !== null && n !== 1) {
    throw new Rejection("The Patinox test model server answers with one choice only (n = 1).", "n");
  }
}

function check(body: unknown): ChatRequest {
  if (!isObject(body)) throw new Rejection("The request body must be a JSON object.");
  if (typeof body.model !== "string" || body.model.length === 0) {
    throw new Rejection("you must provide a model parameter");
  }
  const { messages } = body;
  if (messages === undefined) {
    throw new Rejection(
      "Missing required parameter: 'messages'.",
      "messages",
      "missing_required_parameter",
    );
  }
  expectType(Array.isArray(messages), messages, "messages", "an array of objects");
  const list = messages as unknown[];
  if (list.length === 0) {
    throw new Rejection(
      "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.",
      "messages",
      "empty_array",
    );
  }
  list.forEach(checkMessage);
  checkToolPairing(list as ChatMessage[]);
  checkTools(body);
  checkSampling(body);
  return body as ChatRequest;
}

/**
 * Parses and checks a chat completion body the way OpenAI does, with OpenAI's messages, so a
 * client bug fails a test instead of getting a happy reply.
 */
export function parseChatRequest(raw: string): ChatRequestCheck {
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    return {
      ok: false,
      error: ModelStep.error({
        status: 400,
        message:
          "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)",
      }),
    };
  }
  try {
    return { ok: true, request: check(body) };
  } catch (error) {
    if (error instanceof Rejection) return { ok: false, error: error.step };
    throw error;
  }
}

/** The text of a message's content, with the text parts of multi-part content joined. */
export function messageText(message: ChatMessage): string {
  const { content } = message;
  if (typeof content === "string") return content;
  if (!content) return "";
  return content.map((part) => (typeof part.text === "string" ? part.text : "")).join("");
}
