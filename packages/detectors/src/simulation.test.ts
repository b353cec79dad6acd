import { FindingKind } from "@patinox/contracts";
import { describe, expect, it } from "vitest";
import { DetectorSettings } from "./detector-settings.ts";
import { runDetectors } from "./run-detectors.ts";
import { detectionLatency, measureFalsePositives } from "./test-support/simulation.ts";
import { generateWindows, HEALTHY, SLO, type TrafficProfile } from "./test-support/traffic.ts";

// The figures for docs/analyze.md come from `pnpm --filter @patinox/detectors measure 1000`;
// these tests pin the same behaviour on fewer seeds to keep the suite fast.
const SETTINGS = DetectorSettings.parse({});
const SEEDS = 60;

describe("healthy traffic with realistic noise", () => {
  it(`raises nothing over ${SEEDS} seeds × 28 evaluations`, () => {
    const report = measureFalsePositives({
      seeds: SEEDS,
      windows: 40,
      settings: SETTINGS,
      profile: HEALTHY,
      tokenBudgetPerHour: 15_000_000, // healthy pace: 120 runs × 1000 tokens a minute = 7.2 M/h
    });
    console.info(
      `healthy traffic: findings in ${report.evaluationsWithFinding} of ${report.evaluations} evaluations`,
      report.byKind,
    );
    expect(report.evaluations).toBe(SEEDS * 28);
    // The detectors did answer (healthy, not inconclusive) — silence is not from lack of data.
    expect(report.answers).toBeGreaterThan(report.evaluations * 10);
    expect(report.evaluationsWithFinding).toBe(0);
  });

  it("the same traffic at the default strictness of a single test would not be silent", () => {
    // Guards the test above against passing vacuously: loosen the baseline tests to 0.99 and
    // the same seeds do raise findings.
    const loose = DetectorSettings.parse({
      error_rate_baseline: { confidence: 0.99, minRatio: 1, minIncrease: 0 },
      latency_baseline: { confidence: 0.99, minRatio: 1, minIncreaseMs: 0 },
    });
    const report = measureFalsePositives({
      seeds: SEEDS,
      windows: 40,
      settings: loose,
      profile: HEALTHY,
    });
    expect(report.evaluationsWithFinding).toBeGreaterThan(0);
  });
});

describe("a step change is found within 2 windows", () => {
  const cases: Array<[string, TrafficProfile, FindingKind[], string?]> = [
    [
      "error rate 2% → 20%",
      { ...HEALTHY, errorRate: 0.2 },
      [FindingKind.ErrorRateSlo, FindingKind.ErrorRateBaseline],
    ],
    [
      "median latency 800 → 2000 ms",
      { ...HEALTHY, latencyMedianMs: 2000 },
      [FindingKind.LatencySlo, FindingKind.LatencyBaseline],
    ],
    [
      "tool timeouts 1% → 50%",
      {
        ...HEALTHY,
        tools: {
          ...HEALTHY.tools,
          search: { callsPerRun: 1.5, errorRate: 0.02, timeoutRate: 0.5 },
        },
      },
      [FindingKind.ToolTimeouts],
      "search",
    ],
  ];
  it.each(cases)("%s, on each of 30 seeds", (_name, after, kinds, target) => {
    for (let seed = 1; seed <= 30; seed++) {
      const windows = detectionLatency({
        seed,
        settings: SETTINGS,
        before: HEALTHY,
        after,
        kinds,
        ...(target === undefined ? {} : { target }),
      });
      expect(windows, `seed ${seed}`).toBeDefined();
      expect(windows, `seed ${seed}`).toBeLessThanOrEqual(2);
    }
  });
});

describe("a low-volume agent", () => {
  it("stays inconclusive on the statistical detectors, even with a high error rate", () => {
    const low: TrafficProfile = {
      ...HEALTHY,
      runsPerWindow: 4,
      modelCallsPerRun: 0.5,
      tools: { search: { callsPerRun: 0.5, errorRate: 0.3, timeoutRate: 0.3 } },
      errorRate: 0.3,
      latencyMedianMs: 20_000,
    };
    for (let seed = 1; seed <= 20; seed++) {
      const windows = generateWindows(() => low, { windows: 20, seed, start: 0, windowMs: 60_000 });
      const outcomes = runDetectors(
        { agent: "support", windows, now: 20 * 60_000 - 1, slo: SLO },
        SETTINGS,
      );
      const statistical = outcomes.filter((o) => o.kind !== FindingKind.BreakerFlapping);
      expect(statistical.length).toBeGreaterThan(0);
      for (const o of statistical) expect(o.verdict, `${o.kind} seed ${seed}`).toBe("inconclusive");
    }
  });
});
