import { z } from "zod";
import { ConcreteSubject, NameToken } from "./name-token.ts";
import { Label, Ratio, SchemaVersion } from "./primitives.ts";
import {
  InputValidatorConfig,
  JsonSchemaObject,
  OutputValidatorConfig,
  ToolValidatorConfig,
} from "./validator-config.ts";

const SEGMENT = "[A-Za-z0-9_-]{1,64}";

/**
 * A path to one field of an agent definition, as plans change it: keys joined by dots; items
 * of a named list are addressed by name (`tools.search.timeoutMs`,
 * `validators.output.output_max_length.maxChars`, `model.fallbacks`, `limits.maxSteps`).
 */
export const DefinitionPath = z
  .string()
  .max(256)
  .regex(new RegExp(`^${SEGMENT}(?:\\.${SEGMENT})*$`), "must be dot-separated keys");

/** A {@link DefinitionPath} in which a whole segment may be `*` (any key or name). */
export const DefinitionPathPattern = z
  .string()
  .max(256)
  .regex(
    new RegExp(`^(?:${SEGMENT}|\\*)(?:\\.(?:${SEGMENT}|\\*))*$`),
    "must be dot-separated keys, a segment may be *",
  );

/** Whether a concrete definition path matches a pattern (`*` matches one whole segment). */
export function definitionPathMatches(pattern: string, path: string): boolean {
  const want = pattern.split(".");
  const have = path.split(".");
  return (
    want.length === have.length &&
    want.every((segment, i) => segment === "*" || segment === have[i])
  );
}

/** A model, by name, at a configured provider. */
export const ModelRef = z
  .strictObject({
    name: Label.describe("The model name the provider knows (`gpt-4o-mini`, `llama3.1:8b`)."),
    provider: NameToken.optional().describe(
      "The configured provider; the default provider when absent.",
    ),
  })
  .describe("A model, by name, at a configured provider.");

/** The model an agent uses and the models it falls back to. */
export const ModelConfig = z
  .strictObject({
    name: Label.describe("The model name the provider knows."),
    provider: NameToken.optional().describe(
      "The configured provider; the default provider when absent.",
    ),
    /** @default [] */
    fallbacks: z
      .array(ModelRef)
      .max(10)
      .default([])
      .describe("Tried in order when the model fails or its breaker is open."),
    temperature: z.number().min(0).max(2).optional(),
    maxOutputTokens: z.int().min(1).max(1_000_000).optional(),
    /** @default 30000 */
    timeoutMs: z.int().min(1).max(600_000).default(30_000).describe("Timeout of one model call."),
  })
  .describe("The model an agent uses and the models it falls back to.");

/** A tool an agent may call: a NATS service endpoint. */
export const ToolConfig = z
  .strictObject({
    name: NameToken,
    description: z.string().min(1).max(1024).describe("What the tool does, for the model."),
    /** @default an empty object schema */
    parameters: JsonSchemaObject.default({ type: "object", properties: {} }).describe(
      "JSON Schema of the arguments; the model's arguments are checked against it.",
    ),
    /** @default "<prefix>.tools.<name>" */
    subject: ConcreteSubject.optional().describe(
      "The subject to call; `<prefix>.tools.<name>` when absent.",
    ),
    /** @default 10000 */
    timeoutMs: z.int().min(1).max(600_000).default(10_000).describe("Timeout of one call."),
    /** @default 1 */
    retries: z
      .int()
      .min(0)
      .max(10)
      .default(1)
      .describe("Further attempts after a failed or timed-out call."),
  })
  .describe("A tool the agent may call: a NATS service endpoint.");

/** The validators of each stage. */
export const ValidatorsConfig = z
  .strictObject({
    /** @default [] */
    input: z.array(InputValidatorConfig).max(32).default([]),
    /** @default [] */
    tool: z.array(ToolValidatorConfig).max(32).default([]),
    /** @default [] */
    output: z.array(OutputValidatorConfig).max(32).default([]),
  })
  .describe("The validators of each stage, run in ascending priority.");

/** A token bucket: sustained rate and burst. */
export const RateLimitConfig = z
  .strictObject({
    /** @default 600 */
    requestsPerMinute: z.int().min(1).max(1_000_000).default(600),
    /** @default 60 */
    burst: z.int().min(1).max(1_000_000).default(60),
  })
  .describe("A token bucket: sustained rate and burst.");

/** Limits that keep one agent from taking more than its share. */
export const LimitsConfig = z
  .strictObject({
    /** @default 8 */
    maxSteps: z
      .int()
      .min(1)
      .max(100)
      .default(8)
      .describe("Model steps per run before it stops with status `max_steps`."),
    /** @default 65536 */
    maxInputBytes: z
      .int()
      .min(1)
      .max(16_777_216)
      .default(65_536)
      .describe("Largest input, in UTF-8 bytes."),
    /** @default 8 */
    maxConcurrency: z.int().min(1).max(10_000).default(8).describe("Runs in flight per replica."),
    /** @default 64 */
    maxQueue: z
      .int()
      .min(0)
      .max(100_000)
      .default(64)
      .describe("Runs waiting per replica before `overloaded`."),
    /** @default { requestsPerMinute: 600, burst: 60 } */
    rateLimit: RateLimitConfig.prefault({}).describe("Per agent, shared by all callers."),
    callerRateLimit: RateLimitConfig.optional().describe(
      "Per caller id; no per-caller limit when absent.",
    ),
    tokenBudgetPerHour: z
      .int()
      .min(1)
      .optional()
      .describe("Tokens (input + output) per hour, shared by all replicas; unlimited when absent."),
  })
  .describe("Limits that keep one agent from taking more than its share.");

/** The service level the agent is held to by Analyze. */
export const SloConfig = z
  .strictObject({
    /** @default 0.05 */
    errorRate: Ratio.default(0.05).describe("Highest acceptable share of failed runs."),
    /** @default 30000 */
    p95LatencyMs: z
      .int()
      .min(1)
      .default(30_000)
      .describe("Highest acceptable 95th percentile latency."),
  })
  .describe("The service level Analyze holds the agent to.");

/** One field the loop may change, and within which bounds (numeric fields). */
export const EvolutionRule = z
  .strictObject({
    path: DefinitionPathPattern.describe(
      "The field, as a dotted path; `*` matches any one key or name.",
    ),
    min: z.number().optional().describe("Lowest value the field may take."),
    max: z.number().optional().describe("Highest value the field may take."),
    step: z.number().positive().optional().describe("Largest change in one plan."),
  })
  .refine((r) => r.min === undefined || r.max === undefined || r.min <= r.max, {
    message: "min must not exceed max",
    path: ["max"],
  });

/** Which fields Plan may change; a change outside it is dropped with a recorded reason. */
export const EvolutionPolicy = z
  .strictObject({
    /** @default [] — the loop may change nothing */
    allow: z.array(EvolutionRule).max(100).default([]),
  })
  .describe("Which fields Plan may change, and within which bounds.");

/** What of a run's content telemetry may carry. */
export const TelemetryConfig = z
  .strictObject({
    /** @default 0 */
    contentSampleRate: Ratio.default(0).describe(
      "Share of runs whose (redacted) content is sampled into telemetry.",
    ),
  })
  .describe("What of a run's content telemetry may carry.");

/**
 * An agent: the YAML file `agents/<name>.yaml` and the `definition` of its knowledge record.
 * Strict: an unknown key is an error naming the field, so a typo in a file never passes
 * silently. Fields with defaults may be left out of the file.
 */
export const AgentDefinition = z
  .strictObject({
    v: SchemaVersion,
    name: NameToken.describe("The agent's name, used in subjects and keys."),
    description: z.string().max(1024).optional().describe("What the agent is for, for people."),
    model: ModelConfig,
    instructions: z.string().min(1).max(100_000).describe("The system prompt."),
    /** @default [] */
    tools: z.array(ToolConfig).max(64).default([]),
    /** @default { input: [], tool: [], output: [] } */
    validators: ValidatorsConfig.prefault({}),
    limits: LimitsConfig.prefault({}),
    slo: SloConfig.prefault({}),
    evolution: EvolutionPolicy.prefault({}),
    telemetry: TelemetryConfig.prefault({}),
  })
  .superRefine((d, ctx) => {
    const seen = new Set<string>();
    d.tools.forEach((tool, i) => {
      if (seen.has(tool.name)) {
        ctx.addIssue({
          code: "custom",
          path: ["tools", i, "name"],
          message: "tool names must be unique",
        });
      }
      seen.add(tool.name);
    });
  })
  .describe(
    "An agent definition: model, instructions, tools, validators, limits, SLO, evolution policy.",
  );

/** An agent definition, with every default filled in. */
export type AgentDefinition = z.output<typeof AgentDefinition>;
/** An agent definition as written in a file (defaults may be left out). */
export type AgentDefinitionInput = z.input<typeof AgentDefinition>;
/** A model reference. */
export type ModelRef = z.output<typeof ModelRef>;
/** An agent's model configuration. */
export type ModelConfig = z.output<typeof ModelConfig>;
/** A tool of an agent. */
export type ToolConfig = z.output<typeof ToolConfig>;
/** An agent's validators by stage. */
export type ValidatorsConfig = z.output<typeof ValidatorsConfig>;
/** A token bucket's settings. */
export type RateLimitConfig = z.output<typeof RateLimitConfig>;
/** An agent's limits. */
export type LimitsConfig = z.output<typeof LimitsConfig>;
/** An agent's SLO. */
export type SloConfig = z.output<typeof SloConfig>;
/** One rule of an evolution policy. */
export type EvolutionRule = z.output<typeof EvolutionRule>;
/** An agent's evolution policy. */
export type EvolutionPolicy = z.output<typeof EvolutionPolicy>;
/** An agent's telemetry settings. */
export type TelemetryConfig = z.output<typeof TelemetryConfig>;
