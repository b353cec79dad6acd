import { describe, expect, it } from "vitest";
import { type AgentApplyReport, checkAudit, defaultAppliedBy } from "./agents.ts";
import { renderAgentApplied, renderApplySummary, renderHistory } from "./agents-output.ts";

const updated: AgentApplyReport = {
  agent: "support",
  file: "examples/agents/support.yaml",
  sourceHash: "a".repeat(64),
  outcome: "updated",
  version: 3,
  previousVersion: 2,
  revision: 9,
  changes: [
    { path: "tools.lookup_order.timeoutMs", kind: "changed", before: 5000, after: 8000 },
    { path: "model.temperature", kind: "added", after: 0.2 },
  ],
};

describe("agents apply output", () => {
  it("shows an update with each changed field, and says `would be` in a dry run", () => {
    expect(renderAgentApplied(updated, false)).toBe(
      [
        "support (examples/agents/support.yaml): updated, version 2 → 3",
        "  tools.lookup_order.timeoutMs: 5000 → 8000",
        "  model.temperature: (none) → 0.2",
        "",
      ].join("\n"),
    );
    expect(renderAgentApplied(updated, true).split("\n")[0]).toBe(
      "support (examples/agents/support.yaml): would be updated, version 2 → 3",
    );
  });

  it("names who applied only when something was written", () => {
    const report = {
      bucket: "patinox",
      dryRun: false,
      appliedBy: "alice",
      reason: "r",
      agents: [{ ...updated, outcome: "unchanged" as const, changes: [] }],
    };
    expect(renderApplySummary(report)).toBe(
      "\n1 agent: 0 created, 0 updated, 1 unchanged in bucket patinox.\n",
    );
    expect(renderApplySummary({ ...report, agents: [updated, updated] })).toBe(
      "\n2 agents: 0 created, 2 updated, 0 unchanged in bucket patinox, applied by alice.\n",
    );
  });
});

describe("agents history output", () => {
  it("lists applied, deleted and unreadable revisions, a reason kept on one line", () => {
    const text = renderHistory({
      bucket: "patinox",
      agent: "support",
      revisions: [
        {
          kind: "applied",
          revision: 1,
          version: 1,
          appliedBy: "alice",
          reason: "first\nversion",
          appliedAt: "2026-01-01T12:00:00.000Z",
        },
        { kind: "deleted", revision: 2 },
        {
          kind: "invalid",
          revision: 3,
          error: { code: "record_invalid", message: "bad", recovery: "fail", retryable: false },
        },
      ],
    });
    expect(text.split("\n")).toEqual([
      "REVISION  VERSION  APPLIED AT                APPLIED BY  REASON",
      "1         1        2026-01-01T12:00:00.000Z  alice       first version",
      "2         -                                              (deleted)",
      "3         ?                                              (unreadable: bad)",
      "",
    ]);
  });
});

describe("apply's audit fields", () => {
  it("records cli:<user>@<host> by default", () => {
    expect(defaultAppliedBy({ USER: "tester" })).toMatch(/^cli:[^@]+@.+$/);
  });

  it("refuses an empty or overlong --by or --reason", () => {
    expect(() => checkAudit("", "r")).toThrow("--by: expected 1 to 200 characters");
    expect(() => checkAudit("a".repeat(201), "r")).toThrow("--by");
    expect(() => checkAudit("alice", "x".repeat(1001))).toThrow("--reason");
    expect(() => checkAudit("alice", "why")).not.toThrow();
  });
});
