/**
 * The closed set of error codes Patinox uses on the wire, in knowledge records and in
 * telemetry. A code names a condition; its {@link ErrorSpec} says what to do about it.
 */
export const ErrorCode = {
  /** The bytes are not UTF-8 JSON, or the JSON does not match the subject's schema. */
  MalformedMessage: "malformed_message",
  /** A name used in a subject or key breaks the name grammar. */
  InvalidName: "invalid_name",
  /** No agent of that name is defined. */
  UnknownAgent: "unknown_agent",
  /** The message or input is larger than the agent or endpoint accepts. */
  PayloadTooLarge: "payload_too_large",
  /** The caller's deadline passed before the work finished. */
  DeadlineExceeded: "deadline_exceeded",
  /** Every slot and queue place for the agent is taken. */
  Overloaded: "overloaded",
  /** The run was cancelled on request. */
  Cancelled: "cancelled",
  /** The agent's token budget for the current hour is spent. */
  BudgetExhausted: "budget_exhausted",
  /** A rate limit (per agent, per caller, or the model provider's) was hit. */
  RateLimited: "rate_limited",
  /** A validator rejected the input, a tool call or the output. */
  ValidationRejected: "validation_rejected",
  /** The model call failed (provider error, timeout, breaker open) on every model tried. */
  ModelFailure: "model_failure",
  /** A tool call failed after its retries. */
  ToolFailure: "tool_failure",
  /** The agent's definition or the service's configuration is invalid. */
  ConfigInvalid: "config_invalid",
  /** A knowledge record failed its schema on read. */
  RecordInvalid: "record_invalid",
  /** A compare-and-set write lost the race on every attempt. */
  Conflict: "conflict",
  /** The referenced run, plan or record does not exist. */
  NotFound: "not_found",
  /** A dependency (NATS responder, model provider, GitHub) cannot be reached. */
  Unavailable: "unavailable",
  /** The credentials in use are not allowed to do this. */
  PermissionDenied: "permission_denied",
  /** An unexpected failure; details are in the service's logs, never on the wire. */
  Internal: "internal",
} as const;

/** One of the {@link ErrorCode} values. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Every error code, in declaration order. */
export const ERROR_CODES: readonly ErrorCode[] = Object.freeze(Object.values(ErrorCode));

/** What kind of failure a code is; the seed's taxonomy. */
export const ErrorCategory = {
  Validation: "validation",
  Execution: "execution",
  Network: "network",
  Configuration: "configuration",
  Internal: "internal",
} as const;

/** One of the {@link ErrorCategory} values. */
export type ErrorCategory = (typeof ErrorCategory)[keyof typeof ErrorCategory];

/**
 * The strategy the component that meets an error applies next (Execute's recovery layer
 * switches on it):
 * - `retry`: the same operation again, with exponential backoff and jitter, honouring
 *   `retryAfterMs`;
 * - `fallback`: an alternative (the next model; the error handed to the model as the tool
 *   result);
 * - `circuit-break`: count the failure against the dependency's breaker and stop calling it
 *   while the breaker is open;
 * - `fail`: give up and report the error to the caller.
 */
export const Recovery = {
  Retry: "retry",
  Fallback: "fallback",
  CircuitBreak: "circuit-break",
  Fail: "fail",
} as const;

/** One of the {@link Recovery} values. */
export type Recovery = (typeof Recovery)[keyof typeof Recovery];

/** What every error code means and how it is handled. */
export interface ErrorSpec {
  /** The kind of failure. */
  readonly category: ErrorCategory;
  /** What the component that meets the error does next. */
  readonly recovery: Recovery;
  /**
   * Whether a caller that receives this error may send the same request again and expect a
   * different outcome (after `retryAfterMs` when given). With a `runId`, a retry is
   * idempotent.
   */
  readonly retryable: boolean;
  /**
   * The HTTP-like status placed in the NATS micro service `Nats-Service-Error-Code` header.
   * 499 follows the nginx convention for a request the client gave up on.
   */
  readonly natsServiceCode: number;
  /** One line for generated docs. */
  readonly description: string;
}

const spec = (
  category: ErrorCategory,
  recovery: Recovery,
  retryable: boolean,
  natsServiceCode: number,
  description: string,
): ErrorSpec => Object.freeze({ category, recovery, retryable, natsServiceCode, description });

/**
 * The spec of every {@link ErrorCode}. Where a choice departs from the seed's mapping
 * (validation → retry, execution → fallback, network → circuit-break, configuration → fail)
 * the reason is given beside it.
 */
export const ErrorSpecs: Readonly<Record<ErrorCode, ErrorSpec>> = Object.freeze({
  // Validation of what a caller sent: sending the same bytes again cannot succeed, so `fail`.
  // The seed's validation → retry is about content a model produced (`validation_rejected`).
  malformed_message: spec(
    "validation",
    "fail",
    false,
    400,
    "The message is not UTF-8 JSON or does not match the subject's schema; `details.issues` says where.",
  ),
  invalid_name: spec(
    "validation",
    "fail",
    false,
    400,
    "A name used in a subject or key breaks the grammar `^[A-Za-z0-9_-]{1,64}$`.",
  ),
  payload_too_large: spec(
    "validation",
    "fail",
    false,
    413,
    "The message or input is larger than the agent or endpoint accepts (`details.limitBytes`).",
  ),
  // Inside a run, a rejected model output is retried: the model is asked again with the
  // reason, within max steps. The caller gets the code only once that is over, and the same
  // input meets the same validators, so it is not retryable for the caller.
  validation_rejected: spec(
    "validation",
    "retry",
    false,
    422,
    "A validator rejected the input, a tool call or the output (`details.validator`, `details.stage`).",
  ),
  not_found: spec(
    "validation",
    "fail",
    false,
    404,
    "The referenced run, plan or record does not exist.",
  ),
  unknown_agent: spec(
    "configuration",
    "fail",
    false,
    404,
    "No agent of that name is defined in the knowledge bucket.",
  ),
  config_invalid: spec(
    "configuration",
    "fail",
    false,
    500,
    "The agent's definition or the service's configuration is invalid; the last good version is kept.",
  ),
  permission_denied: spec(
    "configuration",
    "fail",
    false,
    403,
    "The credentials in use (NATS, model provider, GitHub) are not allowed to do this.",
  ),
  // The caller's own deadline has passed: there is no time left for a fallback.
  deadline_exceeded: spec(
    "execution",
    "fail",
    true,
    504,
    "The caller's deadline (`timeoutMs`) passed before the run finished.",
  ),
  // Load shedding: waiting and trying again is the remedy, not another model.
  overloaded: spec(
    "execution",
    "retry",
    true,
    503,
    "Every concurrency slot and queue place for the agent is taken; retry after `retryAfterMs`.",
  ),
  // The caller asked for it; nothing to recover.
  cancelled: spec(
    "execution",
    "fail",
    false,
    499,
    "The run was cancelled on request; any partial output is kept in the reply.",
  ),
  // A budget is per agent, not per model, so no fallback escapes it; it refills next hour.
  budget_exhausted: spec(
    "execution",
    "fail",
    true,
    429,
    "The agent's token budget for the current hour is spent; `retryAfterMs` says when it refills.",
  ),
  // Limits refill: back off for `retryAfterMs` (a provider's `Retry-After`) and retry.
  rate_limited: spec(
    "execution",
    "retry",
    true,
    429,
    "A rate limit (per agent, per caller, or the model provider's) was hit; retry after `retryAfterMs`.",
  ),
  model_failure: spec(
    "execution",
    "fallback",
    true,
    502,
    "The model call failed on every model tried (provider error, timeout, breaker open).",
  ),
  // Fallback: after the tool's own retries the error becomes the tool result, so the model can
  // take another path; the run fails with this code only if it cannot.
  tool_failure: spec(
    "execution",
    "fallback",
    true,
    502,
    "A tool call failed after its retries (`details.tool`).",
  ),
  // A lost compare-and-set means someone else wrote first: read again and retry.
  conflict: spec(
    "execution",
    "retry",
    true,
    409,
    "A compare-and-set write to the knowledge bucket lost the race on every attempt.",
  ),
  unavailable: spec(
    "network",
    "circuit-break",
    true,
    503,
    "A dependency (NATS responder, model provider, GitHub) cannot be reached.",
  ),
  // A record that fails its schema will fail again: keep the last good value and report it.
  record_invalid: spec(
    "internal",
    "fail",
    false,
    500,
    "A knowledge record failed its schema on read (`details.key`, `details.issues`).",
  ),
  // Unknown failures are not retried automatically: a retry storm on a bug helps no one.
  internal: spec(
    "internal",
    "fail",
    false,
    500,
    "An unexpected failure; the details are in the service's logs, never on the wire.",
  ),
});

/** Whether a string is one of the {@link ErrorCode} values. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === "string" && Object.hasOwn(ErrorSpecs, value);
}
