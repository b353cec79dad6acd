import { checkEpochMs, checkName } from "./internal/check-name.ts";

/**
 * The keys of the knowledge bucket (JetStream KV). Keys carry no prefix: the bucket is the
 * namespace. Builders validate every name against the name grammar and throw a
 * `PatinoxError` with code `invalid_name` otherwise; the `…Of` and `all…` forms are the
 * wildcard filters for listing and watching.
 */
export const KnowledgeKeys = Object.freeze({
  /** `agents.<agent>.config`: the agent's current definition record. */
  agentConfig: (agent: string): string => `agents.${checkName("agent", agent)}.config`,
  /** `agents.*.config`: every agent's definition (Execute watches it). */
  allAgentConfigs: "agents.*.config",
  /** `metrics.<agent>.<windowStart>`: one metric window; `windowStart` in epoch milliseconds. */
  metricsWindow: (agent: string, windowStart: number): string =>
    `metrics.${checkName("agent", agent)}.${checkEpochMs("windowStart", windowStart)}`,
  /** `metrics.<agent>.>`: every window of an agent. */
  metricsOf: (agent: string): string => `metrics.${checkName("agent", agent)}.>`,
  /** `metrics.>`: every window (Analyze watches it). */
  allMetrics: "metrics.>",
  /** `findings.<agent>.<fingerprint>`: one finding. */
  finding: (agent: string, fingerprint: string): string =>
    `findings.${checkName("agent", agent)}.${checkName("fingerprint", fingerprint)}`,
  /** `findings.<agent>.>`: every finding of an agent. */
  findingsOf: (agent: string): string => `findings.${checkName("agent", agent)}.>`,
  /** `findings.>`: every finding. */
  allFindings: "findings.>",
  /** `plans.<agent>.<planId>`: one plan. */
  plan: (agent: string, planId: string): string =>
    `plans.${checkName("agent", agent)}.${checkName("planId", planId)}`,
  /** `plans.<agent>.>`: every plan of an agent. */
  plansOf: (agent: string): string => `plans.${checkName("agent", agent)}.>`,
  /** `plans.>`: every plan. */
  allPlans: "plans.>",
  /** `evolution.<agent>.<planId>`: the before/after verdict of a plan. */
  evolution: (agent: string, planId: string): string =>
    `evolution.${checkName("agent", agent)}.${checkName("planId", planId)}`,
  /** `evolution.<agent>.>`: every verdict of an agent. */
  evolutionOf: (agent: string): string => `evolution.${checkName("agent", agent)}.>`,
  /** `evolution.>`: every verdict. */
  allEvolution: "evolution.>",
});

/** The type of {@link KnowledgeKeys}. */
export type KnowledgeKeys = typeof KnowledgeKeys;
