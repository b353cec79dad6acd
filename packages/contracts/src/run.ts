import { z } from "zod";
import { NameToken } from "./name-token.ts";
import {
  Count,
  DurationMs,
  RunId,
  SchemaVersion,
  Timestamp,
  TraceId,
  UsdAmount,
} from "./primitives.ts";
import { WireError } from "./wire-error.ts";

/** How a run ended. `max_steps` is not an error: the run stopped at the step limit and keeps its partial output. */
export const RunStatus = {
  Completed: "completed",
  Failed: "failed",
  MaxSteps: "max_steps",
  Cancelled: "cancelled",
} as const;

/** One of the {@link RunStatus} values. */
export type RunStatus = (typeof RunStatus)[keyof typeof RunStatus];

/** Longest run timeout a caller may ask for: one hour. */
export const MAX_RUN_TIMEOUT_MS = 3_600_000;

/**
 * One message of a conversation a caller sends. Only `user` and `assistant`: the system
 * prompt is the agent's `instructions`, and letting any caller replace it would hand every
 * caller the agent's guard rails.
 */
export const ChatMessage = z.strictObject({
  role: z.enum(["user", "assistant"]),
  content: z.string(),
});

/** One message of a conversation a caller sends. */
export type ChatMessage = z.output<typeof ChatMessage>;

/**
 * Caller-supplied labels, echoed into telemetry: at most 32 entries. A `__proto__` key is
 * dropped (zod never assigns it), so it cannot replace the result's prototype.
 */
export const RunMetadata = z
  .record(
    z
      .string()
      .regex(/^[A-Za-z0-9_.:-]{1,64}$/, "keys are 1-64 characters of A-Z, a-z, 0-9, _ . : -"),
    z.string().max(512),
  )
  .refine((m) => Object.keys(m).length <= 32, "at most 32 entries")
  .meta({ maxProperties: 32 });

const runRequestShape = {
  v: SchemaVersion,
  input: z
    .union([z.string().min(1), z.array(ChatMessage).min(1).max(1000)])
    .describe("The text to answer, or a conversation whose last message is usually the user's."),
  sessionId: z
    .string()
    .min(1)
    .max(128)
    .optional()
    .describe("Groups runs of one conversation (for telemetry and tracing)."),
  callerId: z
    .string()
    .min(1)
    .max(128)
    .optional()
    .describe("Who is asking, as the caller declares it; per-caller rate limits key on it."),
  metadata: RunMetadata.optional(),
  timeoutMs: z
    .int()
    .min(1)
    .max(MAX_RUN_TIMEOUT_MS)
    .optional()
    .describe("The caller's deadline, in milliseconds from when Execute receives the request."),
  runId: RunId.optional().describe(
    "Makes the request idempotent: a second request with the same id gets the first result.",
  ),
};

/**
 * Request on `<prefix>.agents.<agent>.run`. Strict: an unknown field is a `malformed_message`,
 * so a field an older server does not know (or a typo) fails loudly instead of being ignored.
 */
export const RunRequest = z
  .strictObject(runRequestShape)
  .describe("Ask an agent to run: text or a conversation, with optional deadline and id.");

/** Request on `<prefix>.agents.<agent>.run`. */
export type RunRequest = z.output<typeof RunRequest>;

/**
 * A durable job on the `<prefix>.jobs.<agent>` work queue: a {@link RunRequest} whose `runId`
 * is required (it makes redelivery idempotent). The result is always published to
 * `<prefix>.results.<runId>`; a caller-chosen reply subject is not accepted, since Execute would
 * publish to it with its own permissions (JetStream API subjects included).
 */
export const JobRequest = z
  .strictObject({
    ...runRequestShape,
    runId: RunId.describe(
      "Required: a redelivered job whose run already finished republishes its result.",
    ),
  })
  .describe("A durable run request on the jobs work queue; runId is required.");

/** A durable job on the `<prefix>.jobs.<agent>` work queue. */
export type JobRequest = z.output<typeof JobRequest>;

/**
 * Published on `<prefix>.runs.<runId>.cancel`; the run id is the subject's. Cancelling a run
 * that has finished or is unknown does nothing.
 */
export const CancelRequest = z
  .strictObject({ v: SchemaVersion, reason: z.string().max(500).optional() })
  .describe("Cancel a run in flight; the run id is taken from the subject.");

/** Published on `<prefix>.runs.<runId>.cancel`. */
export type CancelRequest = z.output<typeof CancelRequest>;

/** Tokens and cost of a run, over every model call. */
export const Usage = z.object({
  inputTokens: Count,
  outputTokens: Count,
  costUsd: UsdAmount,
});

/** Tokens and cost of a run. */
export type Usage = z.output<typeof Usage>;

const runOutcomeShape = {
  v: SchemaVersion,
  runId: RunId,
  agent: NameToken,
  status: z.enum(RunStatus),
  /** The final answer; for `max_steps` and `cancelled`, the partial output if there is one. */
  output: z.string().optional(),
  usage: Usage,
  /** Model steps taken. */
  steps: Count,
  /** Version of the agent definition the run used from start to finish. */
  agentVersion: z.int().min(1),
  durationMs: DurationMs,
  /** The model that gave the last answer, and its provider: shows when a fallback answered. */
  model: z
    .object({ name: z.string().min(1).max(128), provider: z.string().min(1).max(64).optional() })
    .optional(),
  /** Present when `status` is `failed` (and on `cancelled`, with code `cancelled`). */
  error: WireError.optional(),
  traceId: TraceId.optional(),
};

const failedCarriesError = (r: { status: RunStatus; error?: WireError | undefined }): boolean =>
  r.status !== "failed" || r.error !== undefined;

/**
 * Reply on `<prefix>.agents.<agent>.run` for a run that started. A request that could not start
 * (malformed, unknown agent, overloaded…) gets an `ErrorReply` instead.
 */
export const RunReply = z
  .object(runOutcomeShape)
  .refine(failedCarriesError, { message: "a failed run carries an error", path: ["error"] })
  .describe("The outcome of a run: status, output, usage, steps, agent version, error.");

/** Reply on `<prefix>.agents.<agent>.run` for a run that started. */
export type RunReply = z.output<typeof RunReply>;

/**
 * Published on `<prefix>.results.<runId>` when a job ends. A job that could not start (unknown
 * agent…) ends `failed` with the error and no `agentVersion`.
 */
export const JobResult = z
  .object({
    ...runOutcomeShape,
    agentVersion: z.int().min(1).optional(),
    completedAt: Timestamp,
  })
  .refine(failedCarriesError, { message: "a failed run carries an error", path: ["error"] })
  .describe("The outcome of a durable job, published on its results subject.");

/** Published on `<prefix>.results.<runId>` when a job ends. */
export type JobResult = z.output<typeof JobResult>;
