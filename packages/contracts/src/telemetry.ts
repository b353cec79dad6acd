import { z } from "zod";
import { ERROR_CODES, type ErrorCode } from "./error-codes.ts";
import { NameToken } from "./name-token.ts";
import {
  Count,
  DurationMs,
  EventId,
  Label,
  Ratio,
  RunId,
  SchemaIssue,
  SchemaVersion,
  SpanId,
  Timestamp,
  TraceId,
  UsdAmount,
} from "./primitives.ts";
import { RunStatus } from "./run.ts";

/** The telemetry event types; each is also the last tokens of its subject. */
export const TelemetryEventType = {
  RunCompleted: "run.completed",
  ModelCall: "model.call",
  ToolCall: "tool.call",
  ValidatorVerdict: "validator.verdict",
  BreakerState: "breaker.state",
  DefinitionInvalid: "definition.invalid",
} as const;

/** One of the {@link TelemetryEventType} values. */
export type TelemetryEventType = (typeof TelemetryEventType)[keyof typeof TelemetryEventType];

const ErrorCodeField = z.enum(ERROR_CODES as [ErrorCode, ...ErrorCode[]]);

/** Fields every telemetry event carries. */
const envelope = {
  v: SchemaVersion,
  id: EventId,
  /** When it happened (not when it was published). */
  at: Timestamp,
  /** The service that emitted it. */
  service: NameToken,
  agent: NameToken.optional(),
  runId: RunId.optional(),
  traceId: TraceId.optional(),
  spanId: SpanId.optional(),
};

/**
 * The cost of one run or model call in an event. Bounded (a million dollars is no real call),
 * so the sums Monitor folds into a window stay finite: an unbounded amount near the largest
 * double made a window's cost Infinity, which no window record can hold.
 */
const EventCostUsd = UsdAmount.max(1_000_000);

/** Length and SHA-256 of user content: telemetry carries these instead of the content. */
export const ContentDigest = z.object({
  bytes: Count,
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});

/** A run ended, whatever the outcome. */
export const RunCompletedEvent = z.object({
  ...envelope,
  type: z.literal(TelemetryEventType.RunCompleted),
  agent: NameToken,
  runId: RunId,
  agentVersion: z.int().min(1),
  status: z.enum(RunStatus),
  /** Set when the run failed or was cancelled. */
  errorCode: ErrorCodeField.optional(),
  /** The validator that rejected the run, when `errorCode` is `validation_rejected`. */
  rejectedBy: Label.optional(),
  latencyMs: DurationMs,
  inputTokens: Count,
  outputTokens: Count,
  costUsd: EventCostUsd,
  steps: Count,
  callerId: z.string().min(1).max(128).optional(),
  input: ContentDigest.optional(),
  output: ContentDigest.optional(),
  /** Content, only when the agent opts in to sampling; secrets and PII redacted first. */
  sample: z.object({ input: z.string(), output: z.string().optional() }).optional(),
});

/** How a model call ended. */
export const ModelCallStatus = {
  Ok: "ok",
  Error: "error",
  Timeout: "timeout",
  RateLimited: "rate_limited",
} as const;

/** One of the {@link ModelCallStatus} values. */
export type ModelCallStatus = (typeof ModelCallStatus)[keyof typeof ModelCallStatus];

/** One call to a chat model. */
export const ModelCallEvent = z.object({
  ...envelope,
  type: z.literal(TelemetryEventType.ModelCall),
  agent: NameToken,
  model: Label,
  provider: NameToken.optional(),
  status: z.enum(ModelCallStatus),
  errorCode: ErrorCodeField.optional(),
  latencyMs: DurationMs,
  inputTokens: Count,
  outputTokens: Count,
  costUsd: EventCostUsd.optional(),
  /** The provider's finish reason (`stop`, `length`, `tool_calls`…). */
  finishReason: Label.optional(),
  /** Whether this model is a fallback rather than the agent's primary model. */
  fallback: z.boolean(),
  /** 1 for the first attempt on this model in this step. */
  attempt: z.int().min(1),
});

/** How a tool call ended; `invalid_args` means the model's arguments failed the tool's schema and no call was made. */
export const ToolCallStatus = {
  Ok: "ok",
  Error: "error",
  Timeout: "timeout",
  InvalidArgs: "invalid_args",
} as const;

/** One of the {@link ToolCallStatus} values. */
export type ToolCallStatus = (typeof ToolCallStatus)[keyof typeof ToolCallStatus];

/** One call (or refused call) of a tool. */
export const ToolCallEvent = z.object({
  ...envelope,
  type: z.literal(TelemetryEventType.ToolCall),
  agent: NameToken,
  tool: NameToken,
  status: z.enum(ToolCallStatus),
  errorCode: ErrorCodeField.optional(),
  latencyMs: DurationMs,
  attempt: z.int().min(1),
});

/** Where in a run a validator ran. */
export const ValidatorStage = { Input: "input", Tool: "tool", Output: "output" } as const;

/** One of the {@link ValidatorStage} values. */
export type ValidatorStage = (typeof ValidatorStage)[keyof typeof ValidatorStage];

/** What a validator decided. */
export const ValidatorVerdict = {
  Approve: "approve",
  Modify: "modify",
  Reject: "reject",
  Retry: "retry",
} as const;

/** One of the {@link ValidatorVerdict} values. */
export type ValidatorVerdict = (typeof ValidatorVerdict)[keyof typeof ValidatorVerdict];

/** A validator's verdict on the input, a tool call or the output. */
export const ValidatorVerdictEvent = z.object({
  ...envelope,
  type: z.literal(TelemetryEventType.ValidatorVerdict),
  agent: NameToken,
  /** The validator's name (its kind unless the definition names it). */
  validator: Label,
  stage: z.enum(ValidatorStage),
  verdict: z.enum(ValidatorVerdict),
  /** Why, in the validator's words; never the user content. */
  reason: z.string().max(500).optional(),
  /** The tool, at stage `tool`. */
  tool: NameToken.optional(),
});

/** The state of a circuit breaker. */
export const BreakerState = { Closed: "closed", Open: "open", HalfOpen: "half_open" } as const;

/** One of the {@link BreakerState} values. */
export type BreakerState = (typeof BreakerState)[keyof typeof BreakerState];

/** A circuit breaker (per provider and model) changed state. */
export const BreakerStateEvent = z.object({
  ...envelope,
  type: z.literal(TelemetryEventType.BreakerState),
  provider: NameToken,
  model: Label,
  state: z.enum(BreakerState),
  previous: z.enum(BreakerState),
  /** Failure ratio over the rolling window when the state changed. */
  failureRatio: Ratio.optional(),
  /** Requests in the rolling window when the state changed. */
  requests: Count.optional(),
});

/** A definition in the knowledge bucket failed its schema; Execute kept the last good one. */
export const DefinitionInvalidEvent = z.object({
  ...envelope,
  type: z.literal(TelemetryEventType.DefinitionInvalid),
  agent: NameToken,
  /** The knowledge key that was read. */
  key: z.string().max(255),
  /** The bucket revision that failed. */
  revision: Count.optional(),
  /** The version still in use; absent when there was none. */
  keptVersion: z.int().min(1).optional(),
  issues: z.array(SchemaIssue).max(20),
});

/**
 * Any telemetry event, discriminated by `type`, published on
 * `<prefix>.telemetry.<service>.<type>` into the telemetry stream. Tolerant: unknown fields are
 * ignored, so a newer publisher does not get its events dead-lettered by an older Monitor.
 */
export const TelemetryEvent = z
  .discriminatedUnion("type", [
    RunCompletedEvent,
    ModelCallEvent,
    ToolCallEvent,
    ValidatorVerdictEvent,
    BreakerStateEvent,
    DefinitionInvalidEvent,
  ])
  .describe("A telemetry event, discriminated by type.");

/** Any telemetry event. */
export type TelemetryEvent = z.output<typeof TelemetryEvent>;
/** A `run.completed` event. */
export type RunCompletedEvent = z.output<typeof RunCompletedEvent>;
/** A `model.call` event. */
export type ModelCallEvent = z.output<typeof ModelCallEvent>;
/** A `tool.call` event. */
export type ToolCallEvent = z.output<typeof ToolCallEvent>;
/** A `validator.verdict` event. */
export type ValidatorVerdictEvent = z.output<typeof ValidatorVerdictEvent>;
/** A `breaker.state` event. */
export type BreakerStateEvent = z.output<typeof BreakerStateEvent>;
/** A `definition.invalid` event. */
export type DefinitionInvalidEvent = z.output<typeof DefinitionInvalidEvent>;
/** Length and SHA-256 of user content. */
export type ContentDigest = z.output<typeof ContentDigest>;
