import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PatinoxError } from "./errors.ts";
import { NAME_TOKEN_PATTERN } from "./name-token.ts";
import { createSubjects } from "./subjects.ts";

const BAD_NAMES = [
  "",
  "a.b",
  "*",
  ">",
  "a*",
  "a>",
  "a b",
  "tab\t",
  "new\nline",
  "x".repeat(65),
  "é",
  "a/b",
  "$SYS",
];

function invalidNameOf(fn: () => unknown): PatinoxError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(PatinoxError);
    expect((error as PatinoxError).code).toBe("invalid_name");
    return error as PatinoxError;
  }
  throw new Error("expected invalid_name");
}

describe("createSubjects", () => {
  const s = createSubjects();

  it("builds every subject under the default prefix", () => {
    expect(s.prefix).toBe("patinox");
    expect(s.agentRun("support")).toBe("patinox.agents.support.run");
    expect(s.agentRunAll).toBe("patinox.agents.*.run");
    expect(s.runCancel("run-1")).toBe("patinox.runs.run-1.cancel");
    expect(s.runCancelAll).toBe("patinox.runs.*.cancel");
    expect(s.jobs("support")).toBe("patinox.jobs.support");
    expect(s.jobsAll).toBe("patinox.jobs.*");
    expect(s.results("run-1")).toBe("patinox.results.run-1");
    expect(s.tool("lookup_order")).toBe("patinox.tools.lookup_order");
    expect(s.telemetry("execute", "run.completed")).toBe("patinox.telemetry.execute.run.completed");
    expect(s.telemetryOf("execute")).toBe("patinox.telemetry.execute.>");
    expect(s.telemetryAll).toBe("patinox.telemetry.>");
    expect(s.events("finding", "support")).toBe("patinox.events.finding.support");
    expect(s.eventsOf("plan")).toBe("patinox.events.plan.*");
    expect(s.eventsAll).toBe("patinox.events.>");
    expect(s.deadLetters("monitor")).toBe("patinox.deadletters.monitor");
    expect(s.deadLettersAll).toBe("patinox.deadletters.>");
    expect(s.serviceStatus("plan")).toBe("patinox.svc.plan.status");
  });

  it("uses a dotted custom prefix", () => {
    const custom = createSubjects("acme.prod-1.patinox");
    expect(custom.agentRun("a")).toBe("acme.prod-1.patinox.agents.a.run");
    expect(custom.telemetryAll).toBe("acme.prod-1.patinox.telemetry.>");
  });

  it.each(["", ".", "a..b", ".a", "a.", "a.*", "a.>", "a b", "x".repeat(129), "a.é"])(
    "rejects the prefix %j with invalid_name",
    (prefix) => {
      invalidNameOf(() => createSubjects(prefix));
    },
  );

  it.each(BAD_NAMES)("rejects the name %j in every builder", (name) => {
    const builders: Array<() => unknown> = [
      () => s.agentRun(name),
      () => s.runCancel(name),
      () => s.jobs(name),
      () => s.results(name),
      () => s.tool(name),
      () => s.telemetry(name, "tool.call"),
      () => s.telemetryOf(name),
      () => s.events("finding", name),
      () => s.deadLetters(name),
      () => s.serviceStatus(name),
    ];
    for (const build of builders) invalidNameOf(build);
  });

  it("names the offending field and echoes a capped value", () => {
    const error = invalidNameOf(() => s.agentRun(`x.${"y".repeat(500)}`));
    expect(error.details?.field).toBe("agent");
    expect(String(error.details?.value).length).toBeLessThanOrEqual(80);
    expect(error.recovery).toBe("fail");
  });

  it("rejects a telemetry type that is not dotted tokens (from untyped callers)", () => {
    invalidNameOf(() => s.telemetry("execute", "run.*" as never));
  });

  it("never lets a name change the shape of a subject", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 80 }), (name) => {
        let subject: string;
        try {
          subject = s.agentRun(name);
        } catch (error) {
          expect(error).toBeInstanceOf(PatinoxError);
          expect(NAME_TOKEN_PATTERN.test(name)).toBe(false);
          return;
        }
        expect(NAME_TOKEN_PATTERN.test(name)).toBe(true);
        expect(subject.split(".")).toEqual(["patinox", "agents", name, "run"]);
      }),
      { seed: 0x5eed, numRuns: 500 },
    );
  });
});
