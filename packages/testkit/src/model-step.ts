/**
 * What the model server does with one chat completion request. Tests script a queue of steps
 * (or a handler that returns one per request); the server turns each into the exact bytes OpenAI
 * would send, so the `openai` client is exercised as it is in production.
 */
export type ModelStep =
  | TextStep
  | ToolCallsStep
  | ErrorStep
  | DelayedStep
  | HangStep
  | DisconnectStep;

/** Token counts to report instead of the estimate (`total_tokens` is always their sum). */
export interface TokenUsage {
  readonly promptTokens: number;
  readonly completionTokens: number;
}

/** Why a text reply ended, as OpenAI reports it in `finish_reason`. */
export type TextFinishReason = "stop" | "length" | "content_filter";

/** An assistant message with text content (`finish_reason` "stop" unless set). */
export interface TextStep {
  readonly kind: "text";
  readonly text: string;
  /** @default estimated from the request and the text, four characters per token */
  readonly usage?: Partial<TokenUsage>;
  /** @default "stop" */
  readonly finishReason?: TextFinishReason;
}

/** One function call the assistant asks for. */
export interface ScriptedToolCall {
  /** The function name, as offered in the request's `tools`. */
  readonly name: string;
  /**
   * An object is sent JSON-encoded; a string is sent verbatim, so a test can send arguments that
   * are not valid JSON, exactly as a real model sometimes does.
   */
  readonly arguments: Readonly<Record<string, unknown>> | string;
  /** @default `call_<request index>_<position>` */
  readonly id?: string;
}

/** An assistant message with `tool_calls` (`finish_reason` "tool_calls"). */
export interface ToolCallsStep {
  readonly kind: "tool-calls";
  readonly calls: readonly ScriptedToolCall[];
  /** Text sent alongside the calls. @default null content */
  readonly text?: string;
  /** @default estimated from the request and the calls */
  readonly usage?: Partial<TokenUsage>;
}

/** An HTTP error with OpenAI's body `{ "error": { message, type, param, code } }`. */
export interface ErrorStep {
  readonly kind: "error";
  readonly status: number;
  readonly message: string;
  readonly type: string;
  readonly param: string | null;
  readonly code: string | null;
  /**
   * The `Retry-After` header: a number of seconds (fractions are not standard HTTP, but the
   * `openai` client reads them) or an HTTP date.
   */
  readonly retryAfter?: number | string;
  /** Extra response headers, e.g. `retry-after-ms` or `x-should-retry`. */
  readonly headers?: Readonly<Record<string, string>>;
}

/** Waits, then performs another step; a client that leaves meanwhile gets nothing. */
export interface DelayedStep {
  readonly kind: "delayed";
  readonly ms: number;
  readonly step: ModelStep;
}

/** Never answers: the request stays open until the client aborts it or the server closes. */
export interface HangStep {
  readonly kind: "hang";
}

/** Destroys the socket without a response, as a crashing proxy or server would. */
export interface DisconnectStep {
  readonly kind: "disconnect";
}

/** Options for {@link ModelStep.error}. */
export interface ErrorStepOptions {
  readonly status: number;
  readonly message: string;
  /** @default "requests" for 429, "server_error" for 5xx, else "invalid_request_error" */
  readonly type?: string;
  /** @default null */
  readonly param?: string | null;
  /** @default "rate_limit_exceeded" for 429, else null */
  readonly code?: string | null;
  readonly retryAfter?: number | string;
  readonly headers?: Readonly<Record<string, string>>;
}

function defaultErrorType(status: number): string {
  if (status === 429) return "requests";
  if (status >= 500) return "server_error";
  return "invalid_request_error";
}

function error(options: ErrorStepOptions): ErrorStep {
  return {
    kind: "error",
    status: options.status,
    message: options.message,
    type: options.type ?? defaultErrorType(options.status),
    param: options.param ?? null,
    code:
      options.code !== undefined
        ? options.code
        : options.status === 429
          ? "rate_limit_exceeded"
          : null,
    ...(options.retryAfter !== undefined ? { retryAfter: options.retryAfter } : {}),
    ...(options.headers !== undefined ? { headers: options.headers } : {}),
  };
}

/** Builders for {@link ModelStep}s, so a script reads as what the model does. */
export const ModelStep = {
  /** Replies with text. */
  text(
    text: string,
    options: {
      readonly usage?: Partial<TokenUsage>;
      readonly finishReason?: TextFinishReason;
    } = {},
  ): TextStep {
    return { kind: "text", text, ...options };
  },
  /** Replies with one or more tool calls. */
  toolCalls(
    calls: ScriptedToolCall | readonly ScriptedToolCall[],
    options: { readonly text?: string; readonly usage?: Partial<TokenUsage> } = {},
  ): ToolCallsStep {
    return { kind: "tool-calls", calls: Array.isArray(calls) ? calls : [calls], ...options };
  },
  /** Answers with an HTTP error in OpenAI's shape. */
  error,
  /** 429 as OpenAI sends it when a rate limit is hit, with `Retry-After` when given. */
  rateLimited(
    options: { readonly retryAfter?: number | string; readonly message?: string } = {},
  ): ErrorStep {
    return error({
      status: 429,
      message: options.message ?? "Rate limit reached for requests. Please try again later.",
      ...(options.retryAfter !== undefined ? { retryAfter: options.retryAfter } : {}),
    });
  },
  /** A 5xx error (500 unless given; 503 is OpenAI's "overloaded"). */
  serverError(
    options: {
      readonly status?: number;
      readonly message?: string;
      readonly retryAfter?: number | string;
    } = {},
  ): ErrorStep {
    const status = options.status ?? 500;
    return error({
      status,
      message:
        options.message ??
        (status === 503
          ? "The server is overloaded or not ready yet."
          : "The server had an error while processing your request. Sorry about that!"),
      ...(options.retryAfter !== undefined ? { retryAfter: options.retryAfter } : {}),
    });
  },
  /** Performs `step` after `ms` milliseconds (a slow model). */
  delayed(ms: number, step: ModelStep): DelayedStep {
    return { kind: "delayed", ms, step };
  },
  /** Never answers (for client timeouts and cancellation). */
  hang(): HangStep {
    return { kind: "hang" };
  },
  /** Drops the connection without answering. */
  disconnect(): DisconnectStep {
    return { kind: "disconnect" };
  },
} as const;
