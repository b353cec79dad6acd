import { createHash } from "node:crypto";
import { checkEpochMs, checkName } from "./internal/check-name.ts";
import { NAME_TOKEN_PATTERN } from "./name-token.ts";

/**
 * A free-form label (a model name such as `gpt-4.1`, a caller id) as one key token: kept as it
 * is when it already is a name token; otherwise every character outside the grammar becomes
 * `_` and 12 hex digits of its SHA-256 are appended, so distinct labels stay distinct keys.
 */
export function labelToken(label: string): string {
  if (NAME_TOKEN_PATTERN.test(label)) return label;
  const hash = createHash("sha256").update(label).digest("hex").slice(0, 12);
  return `${label.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 48)}-${hash}`;
}

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
  /** `breakers.<provider>.<model>`: the shared circuit breaker of one model of one provider. */
  breaker: (provider: string, model: string): string =>
    `breakers.${checkName("provider", provider)}.${labelToken(model)}`,
  /** `breakers.>`: every breaker (Execute watches it). */
  allBreakers: "breakers.>",
  /** `ratelimits.<agent>.agent`: the agent's shared token bucket. */
  agentRateLimit: (agent: string): string => `ratelimits.${checkName("agent", agent)}.agent`,
  /** `ratelimits.<agent>.caller.<caller>`: one caller's shared token bucket for the agent. */
  callerRateLimit: (agent: string, callerId: string): string =>
    `ratelimits.${checkName("agent", agent)}.caller.${labelToken(callerId)}`,
  /** `budgets.<agent>.<hourStart>`: tokens the agent spent in one hour (epoch ms). */
  budget: (agent: string, hourStart: number): string =>
    `budgets.${checkName("agent", agent)}.${checkEpochMs("hourStart", hourStart)}`,
  /** `leases.<service>.<shard>`: which instance of a service owns a shard of its work. */
  lease: (service: string, shard: string): string =>
    `leases.${checkName("service", service)}.${checkName("shard", shard)}`,
  /** `leases.<service>.>`: every lease of a service. */
  leasesOf: (service: string): string => `leases.${checkName("service", service)}.>`,
});

/** The type of {@link KnowledgeKeys}. */
export type KnowledgeKeys = typeof KnowledgeKeys;
