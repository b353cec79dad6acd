import { describe, expect, it } from "vitest";
import { PatinoxError } from "./errors.ts";
import { KnowledgeKeys } from "./keys.ts";

function expectInvalidName(fn: () => unknown, field: string): void {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(PatinoxError);
    expect((error as PatinoxError).code).toBe("invalid_name");
    expect((error as PatinoxError).details?.field).toBe(field);
    return;
  }
  throw new Error("expected invalid_name");
}

describe("KnowledgeKeys", () => {
  it("builds every key without a prefix", () => {
    expect(KnowledgeKeys.agentConfig("support")).toBe("agents.support.config");
    expect(KnowledgeKeys.allAgentConfigs).toBe("agents.*.config");
    expect(KnowledgeKeys.metricsWindow("support", 1_741_944_360_000)).toBe(
      "metrics.support.1741944360000",
    );
    expect(KnowledgeKeys.metricsOf("support")).toBe("metrics.support.>");
    expect(KnowledgeKeys.allMetrics).toBe("metrics.>");
    expect(KnowledgeKeys.finding("support", "fp-1")).toBe("findings.support.fp-1");
    expect(KnowledgeKeys.findingsOf("support")).toBe("findings.support.>");
    expect(KnowledgeKeys.allFindings).toBe("findings.>");
    expect(KnowledgeKeys.plan("support", "plan-1")).toBe("plans.support.plan-1");
    expect(KnowledgeKeys.plansOf("support")).toBe("plans.support.>");
    expect(KnowledgeKeys.allPlans).toBe("plans.>");
    expect(KnowledgeKeys.evolution("support", "plan-1")).toBe("evolution.support.plan-1");
    expect(KnowledgeKeys.evolutionOf("support")).toBe("evolution.support.>");
    expect(KnowledgeKeys.allEvolution).toBe("evolution.>");
  });

  it("produces keys NATS KV accepts", () => {
    const kvKey = /^[-/_=.a-zA-Z0-9]+$/;
    for (const key of [
      KnowledgeKeys.agentConfig("a-b_C9"),
      KnowledgeKeys.metricsWindow("a", 0),
      KnowledgeKeys.finding("a", "f"),
      KnowledgeKeys.plan("a", "p"),
      KnowledgeKeys.evolution("a", "p"),
    ]) {
      expect(key).toMatch(kvKey);
    }
  });

  it.each(["", "a.b", "*", ">", "a b", "x".repeat(65)])("rejects the name %j", (name) => {
    expectInvalidName(() => KnowledgeKeys.agentConfig(name), "agent");
    expectInvalidName(() => KnowledgeKeys.metricsOf(name), "agent");
    expectInvalidName(() => KnowledgeKeys.finding("a", name), "fingerprint");
    expectInvalidName(() => KnowledgeKeys.plan("a", name), "planId");
    expectInvalidName(() => KnowledgeKeys.evolution(name, "p"), "agent");
  });

  it.each([-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53])(
    "rejects the window start %d",
    (windowStart) => {
      expectInvalidName(() => KnowledgeKeys.metricsWindow("a", windowStart), "windowStart");
    },
  );
});
