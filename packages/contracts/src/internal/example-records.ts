import type { z } from "zod";
import type { AgentDefinition } from "../agent-definition.ts";
import type { Evolution, Finding, Plan } from "../knowledge-records.ts";
import type { MetricWindow } from "../metric-window.ts";

// Hand-written valid records shared by the examples in `../examples.ts`.

/** The instant every example happens at. */
export const at = "2025-03-14T09:26:53.589Z";
/** The run id of the examples. */
export const runId = "01JQ7R2M3X4Y5Z6A7B8C9D0E1F";
/** The trace id of the examples. */
export const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";

/** The smallest valid agent definition. */
export const minimalDefinition: z.input<typeof AgentDefinition> = {
  v: 1,
  name: "echo",
  model: { name: "simulated-echo" },
  instructions: "Repeat the user's message.",
};

/** An agent definition that sets every field. */
export const supportDefinition: z.input<typeof AgentDefinition> = {
  v: 1,
  name: "support",
  description: "Answers customer questions with the order lookup tool.",
  model: {
    name: "gpt-4o-mini",
    provider: "openai",
    fallbacks: [{ name: "llama3.1:8b", provider: "ollama" }],
    temperature: 0.2,
    maxOutputTokens: 800,
    timeoutMs: 20_000,
  },
  instructions: "You are a courteous support agent. Use the tools; never invent order data.",
  tools: [
    {
      name: "lookup_order",
      description: "Find an order by its id.",
      parameters: {
        type: "object",
        properties: { orderId: { type: "string", pattern: "^[0-9]{6}$" } },
        required: ["orderId"],
        additionalProperties: false,
      },
      timeoutMs: 2000,
      retries: 2,
    },
  ],
  validators: {
    input: [
      { kind: "max_input_size", maxBytes: 16_384 },
      { kind: "deny_patterns", patterns: ["\\bDROP\\s+TABLE\\b"], priority: 10 },
      { kind: "prompt_injection", threshold: 0.7 },
    ],
    tool: [{ kind: "pii_redaction", action: "reject" }],
    output: [
      { kind: "output_max_length", maxChars: 4000, onViolation: "retry" },
      { kind: "pii_redaction" },
    ],
  },
  limits: {
    maxSteps: 6,
    maxInputBytes: 16_384,
    maxConcurrency: 32,
    maxQueue: 128,
    rateLimit: { requestsPerMinute: 1200, burst: 100 },
    callerRateLimit: { requestsPerMinute: 60, burst: 10 },
    tokenBudgetPerHour: 2_000_000,
  },
  slo: { errorRate: 0.02, p95LatencyMs: 8000 },
  evolution: {
    allow: [
      { path: "tools.*.timeoutMs", min: 1000, max: 15_000, step: 2000 },
      { path: "tools.*.retries", min: 0, max: 4, step: 1 },
      { path: "model.maxOutputTokens", min: 200, max: 2000, step: 200 },
      { path: "model.fallbacks" },
    ],
  },
  telemetry: { contentSampleRate: 0.01 },
};

/** An open tool-timeout finding. */
export const finding: z.input<typeof Finding> = {
  v: 1,
  fingerprint: "tool_timeouts-support-5f2c9a",
  kind: "tool_timeouts",
  agent: "support",
  target: "lookup_order",
  status: "open",
  severity: "warning",
  confidence: 0.97,
  evidence: {
    numbers: { calls: 240, timeouts: 61, rate: 0.254, baselineRate: 0.012, z: 11.4 },
    windows: [1_741_944_360_000, 1_741_944_420_000],
    baselineWindows: [1_741_940_760_000, 1_741_940_820_000],
    test: "two-proportion-z",
  },
  sampleTraceIds: [traceId],
  firstSeen: "2025-03-14T09:26:00.000Z",
  lastSeen: at,
  healthyStreak: 0,
};

/** A plan answering {@link finding}, with its pull request open. */
export const plan: z.input<typeof Plan> = {
  v: 1,
  planId: "plan-5f2c9a-1",
  agent: "support",
  findingFingerprint: finding.fingerprint,
  findingKind: "tool_timeouts",
  kind: "tool_timeout",
  change: [{ path: "tools.lookup_order.timeoutMs", from: 2000, to: 4000 }],
  dropped: [],
  rationale: "25% of lookup_order calls time out at 2 s; p95 of successful calls is 1.8 s.",
  baseVersion: 7,
  status: "pr-open",
  history: [
    { status: "proposed", at },
    { status: "pr-open", at, reason: "opened pull request #42" },
  ],
  pr: {
    sink: "github",
    branch: "patinox/support/tool_timeouts-5f2c9a",
    number: 42,
    url: "https://github.com/acme/agents/pull/42",
  },
  createdAt: at,
  updatedAt: at,
};

/** An empty and a busy metric window. */
export const metricWindowExamples: readonly z.input<typeof MetricWindow>[] = [
  { v: 1, agent: "echo", windowStart: 1_741_944_360_000, windowMs: 60_000 },
  {
    v: 1,
    agent: "support",
    windowStart: 1_741_944_360_000,
    windowMs: 60_000,
    runs: 120,
    ok: 104,
    maxSteps: 2,
    failedByCode: { tool_failure: 12, deadline_exceeded: 2 },
    rejectedByValidator: { prompt_injection: 3 },
    latency: {
      schema: "loglinear-v1",
      buckets: { "1024": 80, "1088": 40 },
      count: 120,
      sum: 221_000,
      min: 640,
      max: 9120,
    },
    tokens: { input: 49_000, output: 11_500 },
    costUsd: 0.037,
    models: {
      "gpt-4o-mini": { calls: 230, errors: 4, timeouts: 1 },
      "llama3.1:8b": { calls: 5, errors: 0, timeouts: 0 },
    },
    fallbacks: 5,
    tools: { lookup_order: { calls: 140, errors: 2, timeouts: 31, invalidArgs: 1 } },
    breakerOpens: 1,
    versions: { "7": 120 },
    highWater: { PATINOX_TELEMETRY: 1042 },
    updatedAt: at,
  },
];

/** A verdict on {@link plan}. */
export const evolutionExamples: readonly z.input<typeof Evolution>[] = [
  {
    v: 1,
    planId: plan.planId,
    agent: "support",
    metric: "tool_timeout_rate",
    fromVersion: 7,
    toVersion: 8,
    before: { value: 0.254, samples: 240, windows: [1_741_944_360_000] },
    after: { value: 0.008, samples: 251, windows: [1_741_948_020_000] },
    verdict: "improved",
    effect: 0.031,
    pValue: 0.0001,
    at,
  },
];
