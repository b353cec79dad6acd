import { FindingKind } from "@patinox/contracts";
import { describe, expect, it } from "vitest";
import { DetectorSettings } from "./detector-settings.ts";
import type { DetectorOutcome } from "./outcome.ts";
import { runDetectors } from "./run-detectors.ts";
import { endOf, steady, type WindowCounts, windowAt } from "./test-support/windows.ts";

const SLO = { errorRate: 0.05, p95LatencyMs: 2000 };

function evaluate(current: WindowCounts, settings = DetectorSettings.parse({})): DetectorOutcome[] {
  const windows = [
    ...steady(10, {
      runs: 100,
      failed: 1,
      latency: [[500, 100]],
      tools: { search: { calls: 100 } },
    }),
    windowAt(10, current),
    windowAt(11, current),
  ];
  return runDetectors({ agent: "support", windows, now: endOf(11), slo: SLO }, settings);
}

const findings = (outcomes: DetectorOutcome[]) =>
  outcomes.filter((o) => o.verdict === "finding").map((o) => o.target ?? o.kind);

/** A tool timing out half the time: runs fail with tool_failure (a quarter, after a retry) and slow down. */
const TIMEOUTS: WindowCounts = {
  runs: 100,
  failed: 25, // coded tool_failure by the table helper
  latency: [
    [500, 60],
    [10_000, 40],
  ],
  tools: { search: { calls: 150, timeouts: 75 } },
};

describe("one fault, one finding", () => {
  it("a tool that times out half the time is one finding; the error rate and latency it causes are explained", () => {
    const outcomes = evaluate(TIMEOUTS);
    expect(findings(outcomes)).toEqual(["search"]);
    const slo = outcomes.find((o) => o.kind === FindingKind.ErrorRateSlo);
    expect(slo).toMatchObject({
      verdict: "inconclusive",
      reason: "explained by tool_timeouts:search",
    });
    const latency = outcomes.find((o) => o.kind === FindingKind.LatencySlo);
    expect(latency).toMatchObject({
      verdict: "inconclusive",
      reason: "explained by tool_timeouts:search",
    });
  });

  it("without the explanation the same windows raise the symptoms too", () => {
    const outcomes = evaluate(TIMEOUTS, DetectorSettings.parse({ explainSymptoms: false }));
    expect(findings(outcomes)).toEqual(
      expect.arrayContaining([
        "error_rate_slo",
        "error_rate_baseline",
        "latency_slo",
        "latency_baseline",
        "search",
      ]),
    );
  });

  it("does not explain failures of another kind away", () => {
    // The tool times out, but the runs fail because of the model: the tool does not explain them.
    const windows = [
      ...steady(10, { runs: 100, failed: 1 }),
      ...[10, 11].map((i) =>
        windowAt(i, { runs: 100, tools: { search: { calls: 100, timeouts: 50 } } }),
      ),
    ].map((w, i) => (i >= 10 ? { ...w, failedByCode: { model_failure: 30 }, ok: 70 } : w));
    const outcomes = runDetectors(
      { agent: "support", windows, now: endOf(11), slo: SLO },
      DetectorSettings.parse({}),
    );
    expect(findings(outcomes)).toEqual(expect.arrayContaining(["error_rate_slo", "search"]));
  });
});
