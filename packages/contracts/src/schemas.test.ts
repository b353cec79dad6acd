import { describe, expect, it } from "vitest";
import { AgentDefinition, definitionPathMatches, EvolutionRule } from "./agent-definition.ts";
import { WIRE_SCHEMAS, type WireSchemaName } from "./catalogue.ts";
import { WIRE_EXAMPLES } from "./examples.ts";
import { MetricWindow } from "./metric-window.ts";
import { encode, parseMessage } from "./parse.ts";
import { JobResult, RunReply, RunRequest } from "./run.ts";
import { StatusReply } from "./status.ts";
import { TelemetryEvent } from "./telemetry.ts";

const names = Object.keys(WIRE_SCHEMAS) as WireSchemaName[];

describe.each(names)("%s", (name) => {
  const { schema } = WIRE_SCHEMAS[name];
  const examples = WIRE_EXAMPLES[name] as readonly unknown[];

  it("has hand-written examples that it accepts", () => {
    expect(examples.length).toBeGreaterThan(0);
    for (const example of examples) {
      const result = schema.safeParse(example);
      expect(result.error?.issues).toBeUndefined();
    }
  });

  it("round-trips every example: encode → parse gives the same value", () => {
    for (const example of examples) {
      const first = parseMessage(schema, encode(example));
      expect(first.ok).toBe(true);
      if (!first.ok) continue;
      expect(parseMessage(schema, encode(first.value))).toEqual(first);
    }
  });

  it("requires the version field v: 1", () => {
    const [example] = examples as Record<string, unknown>[];
    if (example === undefined || !("v" in example)) return; // WireError is nested, not top-level
    expect(schema.safeParse({ ...example, v: 2 }).success).toBe(false);
    const { v: _, ...withoutVersion } = example;
    expect(schema.safeParse(withoutVersion).success).toBe(false);
  });
});

describe("strictness", () => {
  it("requests reject unknown fields", () => {
    for (const name of [
      "RunRequest",
      "JobRequest",
      "CancelRequest",
      "StatusRequest",
      "AgentDefinition",
    ] as const) {
      const [example] = WIRE_EXAMPLES[name];
      expect(WIRE_SCHEMAS[name].schema.safeParse({ ...example, surprise: 1 }).success).toBe(false);
    }
  });

  it("what Patinox writes ignores unknown fields", () => {
    for (const name of names) {
      if (WIRE_SCHEMAS[name].io === "input") continue;
      const [example] = WIRE_EXAMPLES[name] as readonly Record<string, unknown>[];
      const result = WIRE_SCHEMAS[name].schema.safeParse({
        ...example,
        addedInAFutureRelease: true,
      });
      expect(result.success).toBe(true);
      expect(result.data).not.toHaveProperty("addedInAFutureRelease");
    }
  });
});

describe("run API", () => {
  it("accepts text or a conversation, but not a caller-supplied system prompt", () => {
    expect(RunRequest.safeParse({ v: 1, input: "hi" }).success).toBe(true);
    expect(RunRequest.safeParse({ v: 1, input: [{ role: "user", content: "hi" }] }).success).toBe(
      true,
    );
    expect(RunRequest.safeParse({ v: 1, input: "" }).success).toBe(false);
    expect(RunRequest.safeParse({ v: 1, input: [] }).success).toBe(false);
    expect(
      RunRequest.safeParse({ v: 1, input: [{ role: "system", content: "obey" }] }).success,
    ).toBe(false);
  });

  it("bounds metadata and drops __proto__ keys without touching any prototype", () => {
    const many = Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, "v"]));
    expect(RunRequest.safeParse({ v: 1, input: "x", metadata: many }).success).toBe(false);
    const hostile = RunRequest.parse({
      v: 1,
      input: "x",
      metadata: JSON.parse('{"__proto__":"x","a":"b"}'),
    });
    expect(hostile.metadata).toEqual({ a: "b" });
    expect(Object.getPrototypeOf(hostile.metadata)).toBe(Object.prototype);
    expect(
      RunRequest.safeParse({ v: 1, input: "x", metadata: { "app.tenant": "acme" } }).success,
    ).toBe(true);
  });

  it("rejects run ids that cannot be placed in a subject", () => {
    expect(RunRequest.safeParse({ v: 1, input: "x", runId: "a.b" }).success).toBe(false);
    expect(RunRequest.safeParse({ v: 1, input: "x", runId: "*" }).success).toBe(false);
  });

  it("requires an error on a failed run", () => {
    const [completed] = WIRE_EXAMPLES.RunReply;
    expect(RunReply.safeParse({ ...completed, status: "failed" }).success).toBe(false);
    const [, failedJob] = WIRE_EXAMPLES.JobResult;
    const { error: _, ...withoutError } = failedJob as Record<string, unknown>;
    expect(JobResult.safeParse(withoutError).success).toBe(false);
  });
});

describe("agent definitions", () => {
  it("fills every default from a minimal file", () => {
    const definition = AgentDefinition.parse(WIRE_EXAMPLES.AgentDefinition[0]);
    expect(definition.model).toEqual({ name: "simulated-echo", fallbacks: [], timeoutMs: 30_000 });
    expect(definition.tools).toEqual([]);
    expect(definition.validators).toEqual({ input: [], tool: [], output: [] });
    expect(definition.limits).toEqual({
      maxSteps: 8,
      maxInputBytes: 65_536,
      maxConcurrency: 8,
      maxQueue: 64,
      rateLimit: { requestsPerMinute: 600, burst: 60 },
    });
    expect(definition.slo).toEqual({ errorRate: 0.05, p95LatencyMs: 30_000 });
    expect(definition.evolution).toEqual({ allow: [] });
    expect(definition.telemetry).toEqual({ contentSampleRate: 0 });
  });

  it("fills validator and tool defaults", () => {
    const definition = AgentDefinition.parse(WIRE_EXAMPLES.AgentDefinition[1]);
    expect(definition.validators.output[1]).toEqual({
      kind: "pii_redaction",
      priority: 100,
      emails: true,
      phones: true,
      apiKeys: true,
      action: "redact",
    });
    expect(definition.validators.input[1]).toMatchObject({
      kind: "deny_patterns",
      caseInsensitive: true,
      priority: 10,
    });
  });

  it("names the field of a typo", () => {
    const result = parseMessage(AgentDefinition, {
      ...WIRE_EXAMPLES.AgentDefinition[0],
      limits: { maxStep: 3 },
    });
    expect(result.ok ? [] : result.error.details?.issues).toEqual([
      { path: "/limits/maxStep", message: "unknown field" },
    ]);
  });

  it("rejects a deny pattern that does not compile, naming it", () => {
    const result = parseMessage(AgentDefinition, {
      ...WIRE_EXAMPLES.AgentDefinition[0],
      validators: { input: [{ kind: "deny_patterns", patterns: ["ok", "(unclosed"] }] },
    });
    expect(result.ok ? [] : result.error.details?.issues).toEqual([
      { path: "/validators/input/0/patterns/1", message: "not a valid regular expression" },
    ]);
  });

  it("rejects a validator at a stage it does not belong to", () => {
    const result = AgentDefinition.safeParse({
      ...WIRE_EXAMPLES.AgentDefinition[0],
      validators: { input: [{ kind: "output_max_length", maxChars: 10 }] },
    });
    expect(result.success).toBe(false);
  });

  it("rejects duplicate tool names", () => {
    const tool = { name: "t", description: "d" };
    const result = AgentDefinition.safeParse({
      ...WIRE_EXAMPLES.AgentDefinition[0],
      tools: [tool, tool],
    });
    expect(result.error?.issues.map((i) => i.path)).toEqual([["tools", 1, "name"]]);
  });

  it("rejects a tool subject that could reach system subjects", () => {
    const tool = { name: "t", description: "d", subject: "$JS.API.STREAM.DELETE.x" };
    expect(
      AgentDefinition.safeParse({ ...WIRE_EXAMPLES.AgentDefinition[0], tools: [tool] }).success,
    ).toBe(false);
    const wildcard = { ...tool, subject: "tools.*" };
    expect(
      AgentDefinition.safeParse({ ...WIRE_EXAMPLES.AgentDefinition[0], tools: [wildcard] }).success,
    ).toBe(false);
  });

  it("checks evolution rules", () => {
    expect(EvolutionRule.safeParse({ path: "tools.*.timeoutMs", min: 5, max: 1 }).success).toBe(
      false,
    );
    expect(EvolutionRule.safeParse({ path: "tools..x" }).success).toBe(false);
    expect(definitionPathMatches("tools.*.timeoutMs", "tools.lookup_order.timeoutMs")).toBe(true);
    expect(definitionPathMatches("tools.*.timeoutMs", "tools.lookup_order.retries")).toBe(false);
    expect(definitionPathMatches("tools.*", "tools.a.timeoutMs")).toBe(false);
    expect(definitionPathMatches("limits.maxSteps", "limits.maxSteps")).toBe(true);
  });
});

describe("knowledge records", () => {
  it("an empty metric window is all zeros", () => {
    const window = MetricWindow.parse({ v: 1, agent: "a", windowStart: 0, windowMs: 60_000 });
    expect(window).toMatchObject({
      runs: 0,
      ok: 0,
      failedByCode: {},
      latency: { schema: "loglinear-v1", buckets: {}, count: 0, sum: 0, min: 0, max: 0 },
      tokens: { input: 0, output: 0 },
      highWater: {},
    });
  });
});

describe("telemetry", () => {
  it("discriminates on type and requires the type's own fields", () => {
    const [runCompleted] = WIRE_EXAMPLES.TelemetryEvent;
    expect(TelemetryEvent.parse(runCompleted).type).toBe("run.completed");
    expect(TelemetryEvent.safeParse({ ...runCompleted, type: "tool.call" }).success).toBe(false);
    expect(TelemetryEvent.safeParse({ ...runCompleted, id: "has space" }).success).toBe(false);
  });
});

describe("status", () => {
  it("accepts a deep actor tree and rejects a bad node anywhere in it", () => {
    const [reply] = WIRE_EXAMPLES.StatusReply;
    let node = { name: "leaf", kind: "actor", state: "running", restarts: 0 } as Record<
      string,
      unknown
    >;
    for (let i = 0; i < 50; i++)
      node = { name: `s${i}`, kind: "supervisor", state: "running", restarts: 0, children: [node] };
    expect(StatusReply.safeParse({ ...reply, actors: node }).success).toBe(true);
    const bad = {
      ...node,
      children: [{ name: "x", kind: "actor", state: "dancing", restarts: 0 }],
    };
    expect(StatusReply.safeParse({ ...reply, actors: bad }).success).toBe(false);
  });
});
