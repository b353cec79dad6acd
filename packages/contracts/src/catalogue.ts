import type { z } from "zod";
import { AgentDefinition } from "./agent-definition.ts";
import { DeadLetter } from "./dead-letter.ts";
import type { ErrorCode } from "./error-codes.ts";
import { FindingEvent, PlanEvent } from "./events.ts";
import { AgentDefinitionRecord, Evolution, Finding, Plan } from "./knowledge-records.ts";
import { LeaseRecord } from "./lease-record.ts";
import { MetricWindow } from "./metric-window.ts";
import { BreakerRecord, BudgetRecord, RateBucketRecord } from "./resilience-records.ts";
import { CancelRequest, JobRequest, JobResult, RunReply, RunRequest } from "./run.ts";
import { StatusReply, StatusRequest } from "./status.ts";
import { TelemetryEvent } from "./telemetry.ts";
import { ErrorReply, WireError } from "./wire-error.ts";

/** A schema published as JSON Schema under `docs/schemas/<name>.json`. */
export interface WireSchemaEntry {
  readonly schema: z.ZodType;
  /**
   * Which side of the schema is published: `input` for what people and other languages write
   * (fields with defaults may be left out), `output` for what Patinox writes (every field
   * with a default is present).
   */
  readonly io: "input" | "output";
}

/** Every schema on the wire or in the knowledge bucket, by the name its JSON Schema file has. */
export const WIRE_SCHEMAS = Object.freeze({
  RunRequest: { schema: RunRequest, io: "input" },
  RunReply: { schema: RunReply, io: "output" },
  JobRequest: { schema: JobRequest, io: "input" },
  JobResult: { schema: JobResult, io: "output" },
  CancelRequest: { schema: CancelRequest, io: "input" },
  StatusRequest: { schema: StatusRequest, io: "input" },
  StatusReply: { schema: StatusReply, io: "output" },
  ErrorReply: { schema: ErrorReply, io: "output" },
  WireError: { schema: WireError, io: "output" },
  TelemetryEvent: { schema: TelemetryEvent, io: "output" },
  FindingEvent: { schema: FindingEvent, io: "output" },
  PlanEvent: { schema: PlanEvent, io: "output" },
  DeadLetter: { schema: DeadLetter, io: "output" },
  AgentDefinition: { schema: AgentDefinition, io: "input" },
  AgentDefinitionRecord: { schema: AgentDefinitionRecord, io: "output" },
  MetricWindow: { schema: MetricWindow, io: "output" },
  Finding: { schema: Finding, io: "output" },
  Plan: { schema: Plan, io: "output" },
  Evolution: { schema: Evolution, io: "output" },
  BreakerRecord: { schema: BreakerRecord, io: "output" },
  RateBucketRecord: { schema: RateBucketRecord, io: "output" },
  BudgetRecord: { schema: BudgetRecord, io: "output" },
  LeaseRecord: { schema: LeaseRecord, io: "output" },
} as const satisfies Record<string, WireSchemaEntry>);

/** The name of a schema in {@link WIRE_SCHEMAS}. */
export type WireSchemaName = keyof typeof WIRE_SCHEMAS;

/** How a subject is used. */
export const SubjectKind = {
  /** Core NATS request/reply on a plain subscription. */
  RequestReply: "request-reply",
  /** A NATS micro service endpoint (`@nats-io/services`): request/reply, queue group, error headers. */
  MicroEndpoint: "micro-endpoint",
  /** Core NATS publish, fire and forget. */
  Publish: "publish",
  /** Published into a JetStream stream (with `Nats-Msg-Id`) and read by durable consumers. */
  JetStreamStream: "jetstream-stream",
} as const;

/** One of the {@link SubjectKind} values. */
export type SubjectKind = (typeof SubjectKind)[keyof typeof SubjectKind];

/** One subject pattern of the wire. */
export interface SubjectEntry {
  /** A short stable name. */
  readonly name: string;
  /** The subject with `{placeholders}`; `{prefix}` defaults to `patinox`. */
  readonly subject: string;
  readonly kind: SubjectKind;
  /** Who publishes (or requests) on it. */
  readonly publishedBy: string;
  /** Who subscribes (or serves) it. */
  readonly servedBy: string;
  /** The queue group of the subscribers, when replicas share the load. */
  readonly queueGroup?: string;
  /** The message published on it; absent when it is not Patinox's to define. */
  readonly payload?: WireSchemaName;
  /** The reply, for endpoints; `ErrorReply` is always possible besides. */
  readonly reply?: WireSchemaName;
  /**
   * For endpoints, the codes a reply can carry; for streams and publish-only subjects, the
   * codes a consumer records when it dead-letters a message.
   */
  readonly errors: readonly ErrorCode[];
  readonly description: string;
}

/** Every subject pattern of the wire. */
export const SUBJECT_CATALOGUE: readonly SubjectEntry[] = Object.freeze([
  {
    name: "agent.run",
    subject: "{prefix}.agents.{agent}.run",
    kind: "micro-endpoint",
    publishedBy: "any client, any language",
    servedBy: "execute",
    queueGroup: "execute",
    payload: "RunRequest",
    reply: "RunReply",
    errors: [
      "malformed_message",
      "payload_too_large",
      "unknown_agent",
      "config_invalid",
      "overloaded",
      "rate_limited",
      "budget_exhausted",
      "validation_rejected",
      "deadline_exceeded",
      "cancelled",
      "model_failure",
      "tool_failure",
      "conflict",
      "unavailable",
      "internal",
    ],
    description: "Run an agent and wait for its answer.",
  },
  {
    name: "run.cancel",
    subject: "{prefix}.runs.{runId}.cancel",
    kind: "publish",
    publishedBy: "the caller of a run",
    servedBy: "execute (every instance)",
    payload: "CancelRequest",
    errors: ["malformed_message"],
    description:
      "Cancel a run in flight; it ends with status `cancelled`. Malformed requests are logged and dropped.",
  },
  {
    name: "agent.jobs",
    subject: "{prefix}.jobs.{agent}",
    kind: "jetstream-stream",
    publishedBy: "any client, any language",
    servedBy: "execute (work-queue consumer)",
    payload: "JobRequest",
    errors: ["malformed_message"],
    description:
      "Queue a durable run; idempotent by `runId`. The result goes to `{prefix}.results.{runId}`.",
  },
  {
    name: "run.results",
    subject: "{prefix}.results.{runId}",
    kind: "jetstream-stream",
    publishedBy: "execute",
    servedBy: "the job's submitter (a subscription, or the results stream)",
    payload: "JobResult",
    errors: [
      "malformed_message",
      "unknown_agent",
      "config_invalid",
      "budget_exhausted",
      "validation_rejected",
      "deadline_exceeded",
      "cancelled",
      "model_failure",
      "tool_failure",
      "internal",
    ],
    description:
      "The outcome of a durable job, stored in the results stream `{prefix}_results` (the last one per run id, `Nats-Msg-Id` = run id) before the job is acked: subscribe before queueing, or read it there afterwards.",
  },
  {
    name: "tool",
    subject: "{prefix}.tools.{tool}",
    kind: "micro-endpoint",
    publishedBy: "execute",
    servedBy: "tool services (`serveTool`), replicas sharing the load",
    errors: ["malformed_message", "tool_failure", "internal"],
    description:
      "Call a tool. The request is the arguments object its `parameters` JSON Schema describes; the reply is any JSON value, or an `ErrorReply`.",
  },
  {
    name: "telemetry",
    subject: "{prefix}.telemetry.{service}.{type}",
    kind: "jetstream-stream",
    publishedBy: "execute (and other services)",
    servedBy: "monitor",
    payload: "TelemetryEvent",
    errors: ["malformed_message"],
    description:
      "Telemetry events; `{type}` is the event's dotted type (`run.completed`). `id` is the `Nats-Msg-Id`.",
  },
  {
    name: "events.finding",
    subject: "{prefix}.events.finding.{agent}",
    kind: "jetstream-stream",
    publishedBy: "analyze",
    servedBy: "plan",
    payload: "FindingEvent",
    errors: ["malformed_message"],
    description: "A finding opened, materially changed or resolved.",
  },
  {
    name: "events.plan",
    subject: "{prefix}.events.plan.{agent}",
    kind: "jetstream-stream",
    publishedBy: "plan",
    servedBy: "observers (cli)",
    payload: "PlanEvent",
    errors: ["malformed_message"],
    description: "A plan was created, changed status or was updated.",
  },
  {
    name: "deadletters",
    subject: "{prefix}.deadletters.{service}",
    kind: "jetstream-stream",
    publishedBy: "every service",
    servedBy: "operators (cli)",
    payload: "DeadLetter",
    errors: [],
    description: "Messages a service terminated because it could not take them.",
  },
  {
    name: "service.status",
    subject: "{prefix}.svc.{service}.status",
    kind: "micro-endpoint",
    publishedBy: "cli, stack, operators",
    servedBy: "every service instance (no queue group)",
    payload: "StatusRequest",
    reply: "StatusReply",
    errors: ["malformed_message", "internal"],
    description: "A service instance's version, uptime, readiness and actor tree.",
  },
] satisfies SubjectEntry[]);

/** One key pattern of the knowledge bucket. */
export interface KeyEntry {
  readonly name: string;
  /** The key with `{placeholders}`. */
  readonly key: string;
  readonly record: WireSchemaName;
  readonly writtenBy: string;
  readonly readBy: string;
  readonly description: string;
}

/** Every key pattern of the knowledge bucket. */
export const KEY_CATALOGUE: readonly KeyEntry[] = Object.freeze([
  {
    name: "agent.config",
    key: "agents.{agent}.config",
    record: "AgentDefinitionRecord",
    writtenBy: "cli (`patinox agents apply`), plan (`applyOnMerge`)",
    readBy: "execute (watch), analyze, plan",
    description: "The live definition of an agent; its history is the audit trail.",
  },
  {
    name: "metrics.window",
    key: "metrics.{agent}.{windowStart}",
    record: "MetricWindow",
    writtenBy: "monitor",
    readBy: "analyze (watch), cli",
    description: "One agent's telemetry over one window; `{windowStart}` in epoch milliseconds.",
  },
  {
    name: "finding",
    key: "findings.{agent}.{fingerprint}",
    record: "Finding",
    writtenBy: "analyze",
    readBy: "plan, cli",
    description: "A pattern found in the windows, deduplicated by fingerprint.",
  },
  {
    name: "plan",
    key: "plans.{agent}.{planId}",
    record: "Plan",
    writtenBy: "plan",
    readBy: "analyze, cli",
    description: "A change answering a finding, and its lifecycle.",
  },
  {
    name: "evolution",
    key: "evolution.{agent}.{planId}",
    record: "Evolution",
    writtenBy: "analyze",
    readBy: "plan, cli",
    description: "Whether a merged change helped: before, after, verdict.",
  },
  {
    name: "breaker",
    key: "breakers.{provider}.{model}",
    record: "BreakerRecord",
    writtenBy:
      "execute (compare-and-set: the replica that trips it, claims the probe or closes it)",
    readBy: "execute (watch, every replica), cli",
    description:
      "The circuit breaker of one model at one provider, shared by every Execute replica; `{model}` is key-safe (`labelToken`).",
  },
  {
    name: "ratelimit.agent",
    key: "ratelimits.{agent}.agent",
    record: "RateBucketRecord",
    writtenBy: "execute (compare-and-set leases of a few tokens)",
    readBy: "execute",
    description: "The agent's token bucket (`limits.rateLimit`), shared by every replica.",
  },
  {
    name: "ratelimit.caller",
    key: "ratelimits.{agent}.caller.{caller}",
    record: "RateBucketRecord",
    writtenBy: "execute (compare-and-set leases of a few tokens)",
    readBy: "execute",
    description:
      "One caller's token bucket for the agent (`limits.callerRateLimit`); `{caller}` is the key-safe `callerId`.",
  },
  {
    name: "budget",
    key: "budgets.{agent}.{hourStart}",
    record: "BudgetRecord",
    writtenBy: "execute (compare-and-set sums of each model call's tokens)",
    readBy: "execute, analyze, cli",
    description:
      "Tokens the agent spent in one hour (`limits.tokenBudgetPerHour`); `{hourStart}` in epoch milliseconds.",
  },
  {
    name: "lease",
    key: "leases.{service}.{shard}",
    record: "LeaseRecord",
    writtenBy: "monitor (compare-and-set: take when free or expired, renew, release)",
    readBy: "monitor (every replica)",
    description:
      "Which instance owns one shard of a service's work; Monitor's telemetry intake is `leases.monitor.0`.",
  },
] satisfies KeyEntry[]);
