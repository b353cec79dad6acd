import { type Finding, FindingKind } from "@patinox/contracts";
import type { FindingOutcome, HealthyOutcome } from "@patinox/detectors";
import { describe, expect, it } from "vitest";
import { type Transition, transition } from "./finding-lifecycle.ts";

const W = 60_000;
const T0 = 1_700_000_040_000;
const at = (i: number) => T0 + i * W;

function found(i: number, severity: "warning" | "critical" = "warning"): FindingOutcome {
  return {
    verdict: "finding",
    kind: FindingKind.ToolTimeouts,
    agent: "support",
    target: "search",
    metric: "tool_timeout_rate",
    throughWindow: at(i),
    severity,
    confidence: 0.999,
    evidence: {
      numbers: { calls: 200, events: 100, rate: 0.5 },
      windows: [at(i - 1), at(i)],
      test: "wilson",
    },
  };
}

function healthy(i: number): HealthyOutcome {
  return {
    verdict: "healthy",
    kind: FindingKind.ToolTimeouts,
    agent: "support",
    target: "search",
    metric: "tool_timeout_rate",
    throughWindow: at(i),
    evidence: {
      numbers: { calls: 200, events: 1, rate: 0.005 },
      windows: [at(i - 1), at(i)],
      test: "wilson",
    },
  };
}

const live = { resolveAfter: 3, dryRun: false };

function written(t: Transition): Finding {
  expect(t.write).toBe(true);
  if (!t.write) throw new Error("unreachable");
  return t.finding;
}

/** Runs a sequence of answers through the lifecycle; returns the record and the events owed. */
function play(answers: Array<FindingOutcome | HealthyOutcome>, ctx = live) {
  let current: Finding | undefined;
  const events: string[] = [];
  answers.forEach((answer, n) => {
    const t = transition(current, answer, { ...ctx, now: T0 + n * 1000 });
    if (!t.write) return;
    current = t.finding;
    if (t.event) events.push(t.event);
  });
  return { finding: current, events };
}

describe("finding lifecycle", () => {
  it("opens once, with the event in the outbox and a stable fingerprint", () => {
    const t = transition(undefined, found(5), { ...live, now: at(6) - 1 });
    const f = written(t);
    expect(t.write && t.event).toBe("opened");
    expect(f).toMatchObject({
      status: "open",
      kind: "tool_timeouts",
      target: "search",
      healthyStreak: 0,
    });
    expect(f.fingerprint).toMatch(/^tool_timeouts-[0-9a-f]{16}$/);
    expect(f.pendingEvents).toEqual([
      {
        id: `finding:${f.fingerprint}:opened:${at(6) - 1}`,
        event: "opened",
        at: new Date(at(6) - 1).toISOString(),
      },
    ]);
  });

  it("writes nothing when the same window is seen again, however often", () => {
    const { events, finding } = play([found(5), found(5), found(5), found(5)]);
    expect(events).toEqual(["opened"]);
    expect(finding?.lastSeen).toBe(new Date(T0).toISOString());
  });

  it("refreshes the evidence once per new window without an event", () => {
    const { events, finding } = play([found(5), found(6), found(7)]);
    expect(events).toEqual(["opened"]);
    expect(finding?.evidence.windows).toEqual([at(6), at(7)]);
  });

  it("a change of severity is a material change", () => {
    expect(play([found(5), found(6, "critical"), found(7, "critical")]).events).toEqual([
      "opened",
      "changed",
    ]);
  });

  it("resolves only after K healthy windows in a row", () => {
    const two = play([found(5), healthy(6), healthy(7)]);
    expect(two.finding?.status).toBe("open");
    expect(two.finding?.healthyStreak).toBe(2);
    const three = play([found(5), healthy(6), healthy(7), healthy(8)]);
    expect(three.finding?.status).toBe("resolved");
    expect(three.events).toEqual(["opened", "resolved"]);
  });

  it("counts each healthy window once, however often it is evaluated", () => {
    const { finding } = play([found(5), healthy(6), healthy(6), healthy(6), healthy(6)]);
    expect(finding?.status).toBe("open");
    expect(finding?.healthyStreak).toBe(1);
  });

  it("a finding window in between starts the streak over", () => {
    const { finding, events } = play([
      found(5),
      healthy(6),
      healthy(7),
      found(8),
      healthy(9),
      healthy(10),
    ]);
    expect(finding?.status).toBe("open");
    expect(finding?.healthyStreak).toBe(2);
    expect(events).toEqual(["opened"]);
  });

  it("does not count a healthy answer about a window the finding was seen in", () => {
    const { finding } = play([found(5), healthy(5)]);
    expect(finding?.healthyStreak).toBe(0);
  });

  it("reopens a resolved finding", () => {
    const { events, finding } = play([found(5), healthy(6), healthy(7), healthy(8), found(9)]);
    expect(events).toEqual(["opened", "resolved", "opened"]);
    expect(finding?.status).toBe("open");
    expect(finding?.resolvedAt).toBeUndefined();
  });

  it("healthy answers with nothing open write nothing", () => {
    expect(transition(undefined, healthy(5), { ...live, now: T0 }).write).toBe(false);
  });

  it("dry-run records the finding but owes no event, and going live opens it", () => {
    const dry = play([found(5), found(6, "critical"), healthy(7), healthy(8), healthy(9)], {
      resolveAfter: 3,
      dryRun: true,
    });
    expect(dry.events).toEqual([]);
    expect(dry.finding?.dryRun).toBe(true);
    expect(dry.finding?.status).toBe("resolved");
    const recorded = written(transition(undefined, found(5), { ...live, dryRun: true, now: T0 }));
    expect(recorded.pendingEvents).toBeUndefined();
    const promoted = transition(recorded, found(5), { ...live, now: T0 + 1 });
    expect(promoted.write && promoted.event).toBe("opened");
    expect(written(promoted).dryRun).toBe(false);
  });
});
