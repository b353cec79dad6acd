import { describe, expect, it } from "vitest";
import {
  KEY_CATALOGUE,
  SUBJECT_CATALOGUE,
  SubjectKind,
  WIRE_SCHEMAS,
  type WireSchemaName,
} from "./catalogue.ts";
import { isErrorCode } from "./error-codes.ts";
import { rejectsUnknownFields, wireJsonSchema } from "./json-schema.ts";
import { KnowledgeKeys } from "./keys.ts";
import { createSubjects } from "./subjects.ts";

const names = Object.keys(WIRE_SCHEMAS) as WireSchemaName[];

describe("wire catalogue", () => {
  it("refers only to published schemas and known error codes", () => {
    for (const entry of SUBJECT_CATALOGUE) {
      for (const ref of [entry.payload, entry.reply]) {
        if (ref !== undefined) expect(names).toContain(ref);
      }
      for (const code of entry.errors) expect(isErrorCode(code)).toBe(true);
      expect(Object.values(SubjectKind)).toContain(entry.kind);
    }
    for (const entry of KEY_CATALOGUE) expect(names).toContain(entry.record);
  });

  it("has unique names and patterns", () => {
    const unique = <T>(xs: readonly T[]) => new Set(xs).size === xs.length;
    expect(unique(SUBJECT_CATALOGUE.map((e) => e.name))).toBe(true);
    expect(unique(SUBJECT_CATALOGUE.map((e) => e.subject))).toBe(true);
    expect(unique(KEY_CATALOGUE.map((e) => e.key))).toBe(true);
  });

  it("every endpoint with a request has a reply", () => {
    for (const entry of SUBJECT_CATALOGUE) {
      if (entry.kind === "micro-endpoint" && entry.payload !== undefined)
        expect(entry.reply).toBeDefined();
    }
  });

  it("matches the subject and key builders", () => {
    // Placeholders are filled with their own names in capitals: `{agent}` → `AGENT`.
    const fill = (template: string) =>
      template.replace(/\{(\w+)\}/g, (_, name: string) =>
        name === "prefix" ? "patinox" : name.toUpperCase(),
      );
    const s = createSubjects();
    const subjects: Record<string, string> = {
      "agent.run": s.agentRun("AGENT"),
      "run.cancel": s.runCancel("RUNID"),
      "agent.jobs": s.jobs("AGENT"),
      "run.results": s.results("RUNID"),
      tool: s.tool("TOOL"),
      telemetry: s.telemetry("SERVICE", "run.completed").replace(".run.completed", ".TYPE"),
      "events.finding": s.events("finding", "AGENT"),
      "events.plan": s.events("plan", "AGENT"),
      deadletters: s.deadLetters("SERVICE"),
      "service.status": s.serviceStatus("SERVICE"),
    };
    for (const entry of SUBJECT_CATALOGUE) expect(fill(entry.subject)).toBe(subjects[entry.name]);
    const keys: Record<string, string> = {
      "agent.config": KnowledgeKeys.agentConfig("AGENT"),
      "metrics.window": KnowledgeKeys.metricsWindow("AGENT", 0).replace(/0$/, "WINDOWSTART"),
      finding: KnowledgeKeys.finding("AGENT", "FINGERPRINT"),
      plan: KnowledgeKeys.plan("AGENT", "PLANID"),
      evolution: KnowledgeKeys.evolution("AGENT", "PLANID"),
      breaker: KnowledgeKeys.breaker("PROVIDER", "MODEL"),
      "ratelimit.agent": KnowledgeKeys.agentRateLimit("AGENT"),
      "ratelimit.caller": KnowledgeKeys.callerRateLimit("AGENT", "CALLER"),
      budget: KnowledgeKeys.budget("AGENT", 0).replace(/0$/, "HOURSTART"),
      lease: KnowledgeKeys.lease("SERVICE", "SHARD"),
    };
    for (const entry of KEY_CATALOGUE) expect(fill(entry.key)).toBe(keys[entry.name]);
  });
});

describe.each(names)("JSON Schema of %s", (name) => {
  const schema = wireJsonSchema(name);

  it("exists, is draft 2020-12 and carries its title and description", () => {
    expect(schema.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
    expect(schema.title).toBe(name);
    expect(typeof schema.description).toBe("string");
  });

  it("says about unknown fields what the zod schema does", () => {
    const { schema: zodSchema } = WIRE_SCHEMAS[name];
    if (rejectsUnknownFields(zodSchema)) expect(schema.additionalProperties).toBe(false);
    else expect(schema.additionalProperties).not.toBe(false);
  });
});

describe("JSON Schema sides", () => {
  it("leaves defaulted fields optional for what clients write, required for what Patinox writes", () => {
    const input = wireJsonSchema("AgentDefinition");
    expect(input.required).toEqual(["v", "name", "model", "instructions"]);
    const output = wireJsonSchema("MetricWindow");
    expect(output.required).toContain("runs");
    expect(output.required).toContain("highWater");
  });

  it("names the shared recursive definitions", () => {
    expect(JSON.stringify(wireJsonSchema("StatusReply"))).toContain('"#/$defs/ActorNode"');
    expect(JSON.stringify(wireJsonSchema("ErrorReply"))).toContain('"#/$defs/JsonValue"');
  });
});
