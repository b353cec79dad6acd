import { describe, expect, it } from "vitest";
import { KnowledgeKeys, labelToken } from "./keys.ts";
import { streamNames } from "./streams.ts";

describe("streamNames", () => {
  it("names each stream after the prefix, dots as underscores", () => {
    expect(streamNames()).toEqual({
      telemetry: "patinox_telemetry",
      events: "patinox_events",
      jobs: "patinox_jobs",
      results: "patinox_results",
      deadLetters: "patinox_deadletters",
    });
    expect(streamNames("acme.prod").telemetry).toBe("acme_prod_telemetry");
  });

  it("refuses a prefix outside the grammar", () => {
    expect(() => streamNames("a.>")).toThrow(/prefix/);
  });
});

describe("labelToken", () => {
  it("keeps a name token as it is", () => {
    expect(labelToken("gpt-4o-mini")).toBe("gpt-4o-mini");
  });

  it("turns any other label into a distinct key token", () => {
    const a = labelToken("gpt-4.1");
    const b = labelToken("gpt-4_1");
    expect(a).toMatch(/^gpt-4_1-[0-9a-f]{12}$/);
    expect(a).not.toBe(b);
    expect(labelToken("user@example.com")).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
    expect(labelToken("x".repeat(200))).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
  });

  it("builds the resilience and lease keys", () => {
    expect(KnowledgeKeys.breaker("openai", "gpt-4o")).toBe("breakers.openai.gpt-4o");
    expect(KnowledgeKeys.agentRateLimit("support")).toBe("ratelimits.support.agent");
    expect(KnowledgeKeys.callerRateLimit("support", "web")).toBe("ratelimits.support.caller.web");
    expect(KnowledgeKeys.budget("support", 3_600_000)).toBe("budgets.support.3600000");
    expect(KnowledgeKeys.lease("monitor", "shard-0")).toBe("leases.monitor.shard-0");
  });
});
