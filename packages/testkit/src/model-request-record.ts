import type { IncomingHttpHeaders } from "node:http";
import type { ChatRequest } from "./chat-request.ts";
import type { ModelStep } from "./model-step.ts";

/** How the request's credentials compared with the key the server expects. */
export type ApiKeyCheck = "matched" | "mismatched" | "missing" | "not-required";

/**
 * What became of a request: still `pending`; `answered` (2xx) or `failed` (an error status was
 * sent); `client-closed` (the client went away first: abort, timeout); `server-closed` (the
 * server dropped the connection: a disconnect step or the server closing).
 */
export type ModelRequestOutcome =
  | "pending"
  | "answered"
  | "failed"
  | "client-closed"
  | "server-closed";

/** One request the server received, for tests to assert what the client sent. */
export interface ModelRequestRecord {
  /** Position in {@link ModelServer.requests}, from 0. */
  readonly index: number;
  readonly method: string;
  /** The path without the query, e.g. `/v1/chat/completions`. */
  readonly path: string;
  /** Lower-case header names; credentials are replaced by `[redacted]`. */
  readonly headers: Readonly<Record<string, string>>;
  readonly apiKey: ApiKeyCheck;
  /** The raw body as received. */
  readonly rawBody: string;
  /** The chat completion body, when it was one and passed the checks. */
  readonly body: ChatRequest | undefined;
  /** The kind of step that answered it, when a script or handler did. */
  readonly step: ModelStep["kind"] | undefined;
  /** The status sent, if any. */
  readonly status: number | undefined;
  readonly outcome: ModelRequestOutcome;
}

/** The record the server fills in as the request proceeds. */
export type MutableRequestRecord = {
  -readonly [K in keyof ModelRequestRecord]: ModelRequestRecord[K];
};

const secretHeaders = new Set([
  "authorization",
  "proxy-authorization",
  "api-key",
  "x-api-key",
  "cookie",
]);

/** Headers as a flat record, with every credential-bearing value replaced by `[redacted]`. */
export function redactedHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    flat[name] = secretHeaders.has(name)
      ? "[redacted]"
      : Array.isArray(value)
        ? value.join(", ")
        : value;
  }
  return flat;
}
