import { z } from "zod";
import { AgentDefinition, DefinitionPath } from "./agent-definition.ts";
import { JsonValue } from "./json.ts";
import { NameToken } from "./name-token.ts";
import { Count, EventId, Label, Ratio, SchemaVersion, Timestamp, TraceId } from "./primitives.ts";

/**
 * A version of an agent's definition, under `agents.<agent>.config`. `version` grows by one
 * with every write (compare-and-set on the key's revision), and who wrote it and why is kept
 * with it: the bucket's history is the audit trail.
 */
export const AgentDefinitionRecord = z
  .object({
    v: SchemaVersion,
    definition: AgentDefinition,
    /** 1 for the first version, then one more per write. */
    version: z.int().min(1),
    /** Who or what applied it (`cli:alice`, `plan:applyOnMerge`). */
    appliedBy: z.string().min(1).max(200),
    reason: z.string().min(1).max(1000),
    appliedAt: Timestamp,
    /** SHA-256 of the source file, to tell whether a file is what is live. */
    sourceHash: z
      .string()
      .regex(/^[0-9a-f]{64}$/)
      .optional(),
    /** Where it came from (a file path, a pull request URL). */
    source: z.string().max(500).optional(),
  })
  .describe("A version of an agent's definition, with who applied it and why.");

/** A version of an agent's definition. */
export type AgentDefinitionRecord = z.output<typeof AgentDefinitionRecord>;

/** The patterns Analyze's detectors find. */
export const FindingKind = {
  ErrorRateSlo: "error_rate_slo",
  ErrorRateBaseline: "error_rate_baseline",
  LatencySlo: "latency_slo",
  LatencyBaseline: "latency_baseline",
  ToolFailures: "tool_failures",
  ToolTimeouts: "tool_timeouts",
  ValidatorRejections: "validator_rejections",
  BudgetBurn: "budget_burn",
  BreakerFlapping: "breaker_flapping",
  FallbackReliance: "fallback_reliance",
} as const;

/** One of the {@link FindingKind} values. */
export type FindingKind = (typeof FindingKind)[keyof typeof FindingKind];

/** How bad a finding is. */
export const Severity = { Info: "info", Warning: "warning", Critical: "critical" } as const;

/** One of the {@link Severity} values. */
export type Severity = (typeof Severity)[keyof typeof Severity];

/** Whether a finding still holds. */
export const FindingStatus = { Open: "open", Resolved: "resolved" } as const;

/** One of the {@link FindingStatus} values. */
export type FindingStatus = (typeof FindingStatus)[keyof typeof FindingStatus];

/**
 * A pattern Analyze found, under `findings.<agent>.<fingerprint>`. The fingerprint is derived
 * from kind, agent and target, so the same problem is one finding however often it is seen.
 */
export const Finding = z
  .object({
    v: SchemaVersion,
    fingerprint: NameToken,
    kind: z.enum(FindingKind),
    agent: NameToken,
    /** The tool, validator or model the finding is about, if any. */
    target: Label.optional(),
    status: z.enum(FindingStatus),
    severity: z.enum(Severity),
    confidence: Ratio,
    evidence: z.object({
      /** The numbers behind it: counts, rates, baseline, test statistic… */
      numbers: z.record(Label, z.number()),
      /** Start (epoch ms) of the windows the numbers come from. */
      windows: z.array(z.int().nonnegative()).max(1000),
      /** Start (epoch ms) of the baseline windows, for baseline comparisons. */
      baselineWindows: z.array(z.int().nonnegative()).max(1000).optional(),
      /** The statistical test used (`wilson`, `two-proportion-z`, `mann-whitney`…). */
      test: Label.optional(),
    }),
    sampleTraceIds: z.array(TraceId).max(20).default([]),
    firstSeen: Timestamp,
    lastSeen: Timestamp,
    /** Healthy windows in a row; the finding resolves when it reaches the configured K. */
    healthyStreak: Count.default(0),
    resolvedAt: Timestamp.optional(),
    /** Recorded by a detector in dry-run mode: no event, no plan. */
    dryRun: z.boolean().default(false),
    /**
     * Start (epoch ms) of the newest window counted in `healthyStreak`, so a window counts once
     * however often it is evaluated.
     */
    healthyThrough: z.int().nonnegative().optional(),
    /**
     * Finding events owed for this finding's transitions (an outbox): written together with the
     * transition by compare-and-set, removed once published, and republished with the same
     * `Nats-Msg-Id` by whoever finds them after a crash. `event` is a `FindingChange`.
     */
    pendingEvents: z
      .array(
        z.object({
          id: EventId,
          event: z.enum(["opened", "changed", "resolved"]),
          at: Timestamp,
        }),
      )
      .max(10)
      .optional(),
  })
  .describe("A pattern found in an agent's metric windows, with its evidence.");

/** A pattern Analyze found. */
export type Finding = z.output<typeof Finding>;

/** Where a plan is in its life. */
export const PlanStatus = {
  Proposed: "proposed",
  PrOpen: "pr-open",
  Merged: "merged",
  Applied: "applied",
  Verified: "verified",
  Regressed: "regressed",
  Reverted: "reverted",
  Closed: "closed",
  Failed: "failed",
} as const;

/** One of the {@link PlanStatus} values. */
export type PlanStatus = (typeof PlanStatus)[keyof typeof PlanStatus];

/** One field of the definition a plan changes. `from` is absent when the field was. */
export const DefinitionChange = z.object({
  path: DefinitionPath,
  from: JsonValue.optional(),
  to: JsonValue,
});

/** One field of the definition a plan changes. */
export type DefinitionChange = z.output<typeof DefinitionChange>;

/** Where a plan's change was proposed: a GitHub pull request or a branch of a local repository. */
export const PullRequestRef = z.object({
  sink: z.enum(["github", "git"]),
  branch: z.string().min(1).max(255),
  /** The pull request number (sink `github`). */
  number: z.int().min(1).optional(),
  url: z.url().max(2000).optional(),
  /** The head commit. */
  commit: z
    .string()
    .regex(/^[0-9a-f]{7,64}$/)
    .optional(),
});

/**
 * A bounded change to an agent's definition that answers one finding, under
 * `plans.<agent>.<planId>`, and its lifecycle.
 */
export const Plan = z
  .object({
    v: SchemaVersion,
    planId: NameToken,
    agent: NameToken,
    findingFingerprint: NameToken,
    findingKind: z.enum(FindingKind).optional(),
    /** The planner that made it (`tool_timeout`, `fallback_models`, `instructions`, `revert`…). */
    kind: NameToken,
    change: z.array(DefinitionChange).min(1).max(20),
    /** Changes the evolution policy refused, and why. */
    dropped: z
      .array(z.object({ path: z.string().max(256), reason: z.string().max(500) }))
      .default([]),
    rationale: z.string().max(10_000),
    /** The definition version the change was made against. */
    baseVersion: z.int().min(1),
    /** The definition version that carries the change, once applied. */
    appliedVersion: z.int().min(1).optional(),
    status: z.enum(PlanStatus),
    history: z
      .array(
        z.object({
          status: z.enum(PlanStatus),
          at: Timestamp,
          reason: z.string().max(1000).optional(),
        }),
      )
      .min(1)
      .max(100),
    pr: PullRequestRef.optional(),
    /** For a revert plan, the plan it reverts. */
    revertOf: NameToken.optional(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .describe("A bounded change to an agent's definition answering one finding, and its lifecycle.");

/** A plan. */
export type Plan = z.output<typeof Plan>;

/** The outcome of measuring a merged change. */
export const EvolutionVerdict = {
  Improved: "improved",
  NoChange: "no_change",
  Regressed: "regressed",
  Inconclusive: "inconclusive",
} as const;

/** One of the {@link EvolutionVerdict} values. */
export type EvolutionVerdict = (typeof EvolutionVerdict)[keyof typeof EvolutionVerdict];

/** A metric over a set of windows. */
export const MetricSample = z.object({
  value: z.number(),
  /** Events behind the value (runs, calls). */
  samples: Count,
  /** Start (epoch ms) of the windows. */
  windows: z.array(z.int().nonnegative()).max(1000),
});

/** The before/after measurement of a plan's change, under `evolution.<agent>.<planId>`. */
export const Evolution = z
  .object({
    v: SchemaVersion,
    planId: NameToken,
    agent: NameToken,
    /** The finding's metric (`error_rate`, `p95_latency_ms`, `tool_timeout_rate`…). */
    metric: Label,
    fromVersion: z.int().min(1),
    toVersion: z.int().min(1),
    before: MetricSample,
    after: MetricSample,
    verdict: z.enum(EvolutionVerdict),
    /** after ÷ before, or the difference, as the metric defines. */
    effect: z.number().optional(),
    pValue: Ratio.optional(),
    at: Timestamp,
  })
  .describe("Whether a merged change helped: the metric before and after, and the verdict.");

/** The before/after measurement of a plan's change. */
export type Evolution = z.output<typeof Evolution>;
/** A pull request (or local branch) reference. */
export type PullRequestRef = z.output<typeof PullRequestRef>;
/** A metric over a set of windows. */
export type MetricSample = z.output<typeof MetricSample>;
