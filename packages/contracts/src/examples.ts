import type { z } from "zod";
import type { WIRE_SCHEMAS, WireSchemaName } from "./catalogue.ts";
import {
  at,
  evolutionExamples,
  finding,
  metricWindowExamples,
  minimalDefinition,
  plan,
  runId,
  supportDefinition,
  traceId,
} from "./internal/example-records.ts";
import { leaseExamples } from "./internal/lease-examples.ts";
import {
  breakerExamples,
  budgetExamples,
  rateBucketExamples,
} from "./internal/resilience-examples.ts";
import type { WireError } from "./wire-error.ts";

type Examples = {
  readonly [K in WireSchemaName]: readonly z.input<(typeof WIRE_SCHEMAS)[K]["schema"]>[];
};

const usage = { inputTokens: 412, outputTokens: 96, costUsd: 0.00031 };
const schemaError: WireError = {
  code: "malformed_message",
  message:
    "message does not match its schema: /input Invalid input: expected string, received undefined",
  recovery: "fail",
  retryable: false,
  details: {
    stage: "schema",
    issues: [{ path: "/input", message: "Invalid input: expected string, received undefined" }],
  },
};

const envelope = { v: 1, at, service: "execute", agent: "support", runId, traceId } as const;

/**
 * Hand-written valid examples of every schema in `WIRE_SCHEMAS`, as a publisher would write
 * them. Used in the generated docs and by tests as known-good messages.
 */
export const WIRE_EXAMPLES: Examples = {
  RunRequest: [
    { v: 1, input: "Where is order 123456?" },
    {
      v: 1,
      input: [
        { role: "user", content: "Where is order 123456?" },
        { role: "assistant", content: "It shipped yesterday." },
        { role: "user", content: "When will it arrive?" },
      ],
      sessionId: "chat-8841",
      callerId: "web-frontend",
      metadata: { tenant: "acme", "ui.locale": "en-GB" },
      timeoutMs: 20_000,
      runId,
    },
  ],
  RunReply: [
    {
      v: 1,
      runId,
      agent: "support",
      status: "completed",
      output: "Order 123456 shipped yesterday and should arrive on Monday.",
      usage,
      steps: 2,
      agentVersion: 7,
      durationMs: 1840,
      traceId,
    },
    {
      v: 1,
      runId,
      agent: "support",
      status: "failed",
      usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 },
      steps: 1,
      agentVersion: 7,
      durationMs: 30_012,
      error: {
        code: "model_failure",
        message: "every model failed: gpt-4o-mini (breaker open), llama3.1:8b (timeout)",
        recovery: "fallback",
        retryable: true,
      },
    },
  ],
  JobRequest: [
    { v: 1, input: "Summarise yesterday's tickets.", runId, callerId: "nightly-report" },
  ],
  JobResult: [
    {
      v: 1,
      runId,
      agent: "support",
      status: "max_steps",
      output: "Partial summary: 14 tickets about delivery…",
      usage,
      steps: 6,
      agentVersion: 7,
      durationMs: 9120,
      completedAt: at,
    },
    {
      v: 1,
      runId,
      agent: "nobody",
      status: "failed",
      usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 },
      steps: 0,
      durationMs: 1,
      error: {
        code: "unknown_agent",
        message: "no agent named nobody",
        recovery: "fail",
        retryable: false,
      },
      completedAt: at,
    },
  ],
  CancelRequest: [{ v: 1 }, { v: 1, reason: "user closed the chat" }],
  StatusRequest: [{ v: 1 }],
  StatusReply: [
    {
      v: 1,
      service: "execute",
      instanceId: "execute-7c9f-1",
      version: "0.1.0",
      startedAt: at,
      uptimeMs: 86_400_000,
      ready: true,
      checks: [
        { name: "nats", ok: true },
        { name: "knowledge", ok: true, detail: "bucket patinox, 42 keys" },
      ],
      actors: {
        name: "root",
        kind: "supervisor",
        state: "running",
        restarts: 0,
        children: [
          {
            name: "definitions",
            kind: "actor",
            state: "running",
            restarts: 0,
            mailbox: { depth: 0, capacity: 64 },
          },
          { name: "agent:support", kind: "actor", state: "restarting", restarts: 2 },
        ],
      },
      bucket: "patinox",
    },
  ],
  ErrorReply: [
    { v: 1, error: schemaError },
    {
      v: 1,
      error: {
        code: "overloaded",
        message: "agent support is at capacity (32 running, 128 queued)",
        recovery: "retry",
        retryable: true,
        retryAfterMs: 250,
      },
    },
  ],
  WireError: [schemaError],
  TelemetryEvent: [
    {
      ...envelope,
      id: `${runId}:9`,
      type: "run.completed",
      agentVersion: 7,
      status: "completed",
      latencyMs: 1840,
      ...usage,
      steps: 2,
      callerId: "web-frontend",
      input: { bytes: 22, sha256: "a".repeat(64) },
    },
    {
      ...envelope,
      id: `${runId}:3`,
      type: "model.call",
      model: "gpt-4o-mini",
      provider: "openai",
      status: "ok",
      latencyMs: 912,
      inputTokens: 300,
      outputTokens: 40,
      costUsd: 0.0001,
      finishReason: "tool_calls",
      fallback: false,
      attempt: 1,
    },
    {
      ...envelope,
      id: `${runId}:4`,
      type: "tool.call",
      tool: "lookup_order",
      status: "timeout",
      latencyMs: 2001,
      errorCode: "tool_failure",
      attempt: 1,
    },
    {
      ...envelope,
      id: `${runId}:1`,
      type: "validator.verdict",
      validator: "prompt_injection",
      stage: "input",
      verdict: "approve",
    },
    {
      v: 1,
      id: "breaker:openai:gpt-4o-mini:17",
      at,
      service: "execute",
      type: "breaker.state",
      provider: "openai",
      model: "gpt-4o-mini",
      state: "open",
      previous: "closed",
      failureRatio: 0.6,
      requests: 25,
    },
    {
      v: 1,
      id: "definition:support:88",
      at,
      service: "execute",
      type: "definition.invalid",
      agent: "support",
      key: "agents.support.config",
      revision: 88,
      keptVersion: 7,
      issues: [
        { path: "/definition/limits/maxSteps", message: "Too big: expected number to be <=100" },
      ],
    },
  ],
  FindingEvent: [
    { v: 1, id: "finding:tool_timeouts-support-5f2c9a:opened:1", at, event: "opened", finding },
  ],
  PlanEvent: [
    {
      v: 1,
      id: "plan:plan-5f2c9a-1:2",
      at,
      event: "status_changed",
      previousStatus: "proposed",
      plan,
    },
  ],
  DeadLetter: [
    {
      v: 1,
      service: "monitor",
      subject: "patinox.telemetry.execute.run.completed",
      stream: "PATINOX_TELEMETRY",
      streamSeq: 1042,
      consumer: "monitor",
      code: "malformed_message",
      reason: "message is not valid JSON",
      receivedAt: at,
      payloadBytes: 9,
      payloadPreview: "bm90IGpzb24h",
    },
  ],
  AgentDefinition: [minimalDefinition, supportDefinition],
  AgentDefinitionRecord: [
    {
      v: 1,
      definition: supportDefinition,
      version: 7,
      appliedBy: "cli:alice",
      reason: "raise lookup_order timeout (plan plan-5f2c9a-1)",
      appliedAt: at,
      sourceHash: "b".repeat(64),
      source: "agents/support.yaml",
    },
  ],
  MetricWindow: metricWindowExamples,
  Finding: [finding],
  Plan: [plan],
  Evolution: evolutionExamples,
  BreakerRecord: breakerExamples,
  RateBucketRecord: rateBucketExamples,
  BudgetRecord: budgetExamples,
  LeaseRecord: leaseExamples,
};
