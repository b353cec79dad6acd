import { FindingKind } from "@patinox/contracts";
import { describe, expect, it } from "vitest";
import type { DetectorInput } from "./detector-input.ts";
import { DetectorSettings } from "./detector-settings.ts";
import type { DetectorOutcome } from "./outcome.ts";
import { runDetectors } from "./run-detectors.ts";
import { endOf, steady, W, type WindowCounts, windowAt } from "./test-support/windows.ts";

const SETTINGS = DetectorSettings.parse({});
const SLO = { errorRate: 0.05, p95LatencyMs: 2000 };

function evaluate(
  windows: DetectorInput["windows"],
  at: number,
  extra: Partial<DetectorInput> = {},
): DetectorOutcome[] {
  return runDetectors({ agent: "support", windows, now: endOf(at), slo: SLO, ...extra }, SETTINGS);
}

function answer(outcomes: DetectorOutcome[], kind: FindingKind, target?: string) {
  const found = outcomes.filter((o) => o.kind === kind && o.target === target);
  expect(found).toHaveLength(1);
  return found[0] as DetectorOutcome;
}

/** Ten quiet baseline windows (0–9), then the rows' windows 10 and 11 as the current span. */
function scenario(current: WindowCounts, baseline: WindowCounts = { runs: 100, failed: 2 }) {
  return [...steady(10, baseline), windowAt(10, current), windowAt(11, current)];
}

describe("error rate against the SLO (Wilson lower bound)", () => {
  it.each([
    // runs per window, failed per window, verdict
    [100, 2, "healthy"], // 2% against 5%
    [100, 6, "healthy"], // 6% observed, but not surely above 5% (lower bound ≈ 3.1%)
    [100, 12, "finding"], // 12%: lower bound ≈ 7.7%
    [10, 5, "inconclusive"], // 50% of 20 runs: too few runs to say
    [14, 14, "inconclusive"], // 28 runs < 30
    [15, 15, "finding"], // 30 runs, all failed
  ] as const)("%d runs with %d failures per window → %s", (runs, failed, verdict) => {
    const outcome = answer(evaluate(scenario({ runs, failed }), 11), FindingKind.ErrorRateSlo);
    expect(outcome.verdict).toBe(verdict);
  });

  it("reports the evidence numbers and grades severity", () => {
    const outcome = answer(
      evaluate(scenario({ runs: 100, failed: 25 }), 11),
      FindingKind.ErrorRateSlo,
    );
    expect(outcome.verdict).toBe("finding");
    if (outcome.verdict !== "finding") return;
    expect(outcome.evidence.numbers).toMatchObject({ runs: 200, failed: 50, error_rate: 0.25 });
    expect(outcome.evidence.numbers.wilson_lower).toBeGreaterThan(0.05);
    expect(outcome.evidence.windows).toEqual([endOf(10) + 1 - W, endOf(11) + 1 - W]);
    expect(outcome.severity).toBe("critical");
    expect(outcome.confidence).toBeGreaterThan(0.99);
    expect(outcome.throughWindow).toBe(endOf(11) + 1 - W);
  });

  it("does not count cancelled runs as failures", () => {
    const outcome = answer(
      evaluate(scenario({ runs: 100, failed: 1, cancelled: 30 }), 11),
      FindingKind.ErrorRateSlo,
    );
    expect(outcome.verdict).toBe("healthy");
  });

  it("looks only at the current windows: an old bad window is forgotten", () => {
    const windows = [
      windowAt(0, { runs: 100, failed: 90 }),
      ...steady(12, { runs: 100, failed: 1 }).slice(1),
    ];
    expect(answer(evaluate(windows, 11), FindingKind.ErrorRateSlo).verdict).toBe("healthy");
    expect(answer(evaluate(windows, 0), FindingKind.ErrorRateSlo).verdict).toBe("finding");
  });
});

describe("error rate against the baseline (two-proportion z-test + effect size)", () => {
  it.each([
    [{ runs: 100, failed: 2 }, { runs: 100, failed: 2 }, "healthy"], // unchanged
    [{ runs: 100, failed: 2 }, { runs: 100, failed: 8 }, "finding"], // 2% → 8%
    [{ runs: 1000, failed: 10 }, { runs: 1000, failed: 20 }, "healthy"], // significant, +1 point only
    [{ runs: 100, failed: 2 }, { runs: 100, failed: 4 }, "healthy"], // 2% → 4%: not significant
    [{ runs: 100, failed: 2 }, { runs: 10, failed: 5 }, "inconclusive"], // 20 current runs
    [{ runs: 5, failed: 0 }, { runs: 100, failed: 30 }, "inconclusive"], // 50 baseline runs
    [{ runs: 100, failed: 0 }, { runs: 100, failed: 10 }, "finding"], // from a clean baseline
  ] as const)("baseline %o, current %o → %s", (baseline, current, verdict) => {
    const outcome = answer(
      evaluate(scenario(current, baseline), 11),
      FindingKind.ErrorRateBaseline,
    );
    expect(outcome.verdict).toBe(verdict);
    if (outcome.verdict === "inconclusive") return;
    expect(outcome.evidence.baselineWindows).toHaveLength(10);
    expect(Number.isFinite(outcome.evidence.numbers.ratio)).toBe(true);
  });
});

describe("p95 latency against the SLO (share of runs slower than the SLO)", () => {
  it.each([
    [
      [
        [500, 95],
        [1500, 5],
      ],
      "healthy",
    ], // p95 1.5 s < 2 s
    [
      [
        [500, 90],
        [3000, 10],
      ],
      "finding",
    ], // 10% of runs over 2 s: p95 ≈ 3 s
    [
      [
        [500, 94],
        [3000, 6],
      ],
      "healthy",
    ], // 6% over: p95 above the SLO, but not surely
    [
      [
        [500, 10],
        [3000, 5],
      ],
      "inconclusive",
    ], // 30 runs… (15 per window × 2) — exactly minRuns? no: 30
  ] as const)("latencies %j per window → %s", (latency, verdict) => {
    const rows = latency.map(([ms, n]) => [ms, n] as const);
    const outcome = answer(
      evaluate(scenario({ runs: 100, latency: rows }), 11),
      FindingKind.LatencySlo,
    );
    if (verdict === "inconclusive") {
      // 15 per window is 30 in the span: enough; with 14 per window it is not.
      const few = answer(
        evaluate(scenario({ runs: 14, latency: [[3000, 14]] }), 11),
        FindingKind.LatencySlo,
      );
      expect(few.verdict).toBe("inconclusive");
      return;
    }
    expect(outcome.verdict).toBe(verdict);
  });

  it("grades a p95 at twice the SLO critical", () => {
    const outcome = answer(
      evaluate(
        scenario({
          runs: 100,
          latency: [
            [500, 80],
            [4500, 20],
          ],
        }),
        11,
      ),
      FindingKind.LatencySlo,
    );
    expect(outcome.verdict).toBe("finding");
    if (outcome.verdict !== "finding") return;
    expect(outcome.severity).toBe("critical");
    expect(outcome.evidence.numbers.p95_latency_ms).toBeGreaterThan(4400);
  });
});

describe("p95 latency against the baseline", () => {
  const baseline = {
    runs: 100,
    latency: [
      [400, 60],
      [600, 35],
      [900, 5],
    ],
  } as const;
  it.each([
    [
      [
        [400, 60],
        [600, 35],
        [900, 5],
      ],
      "healthy",
    ], // unchanged
    [
      [
        [400, 60],
        [600, 20],
        [2500, 20],
      ],
      "finding", // a fifth of runs four times slower
    ], // a fifth of runs four times slower
    [
      [
        [420, 60],
        [630, 35],
        [950, 5],
      ],
      "healthy",
    ], // 5% slower: below minRatio
    [
      [
        [400, 60],
        [600, 35],
        [1000, 5],
      ],
      "healthy",
    ], // p95 +100 ms but same share above
  ] as const)("current %j per window → %s", (latency, verdict) => {
    const outcome = answer(
      evaluate(
        scenario({ runs: 100, latency: latency.map(([a, b]) => [a, b] as const) }, baseline),
        11,
      ),
      FindingKind.LatencyBaseline,
    );
    expect(outcome.verdict).toBe(verdict);
  });

  it("reports the Mann–Whitney shift of the whole distribution", () => {
    const outcome = answer(
      evaluate(
        scenario(
          {
            runs: 100,
            latency: [
              [800, 60],
              [1200, 35],
              [2500, 5],
            ],
          },
          baseline,
        ),
        11,
      ),
      FindingKind.LatencyBaseline,
    );
    expect(outcome.verdict).toBe("finding");
    if (outcome.verdict === "inconclusive") return;
    expect(outcome.evidence.numbers.mann_whitney_effect).toBeGreaterThan(0.9);
    expect(outcome.evidence.numbers.mann_whitney_p_value).toBeLessThan(1e-6);
  });
});

describe("tool hotspots, validator hotspots and fallback reliance", () => {
  it("finds the tool that times out, and only that tool", () => {
    const outcomes = evaluate(
      scenario({
        runs: 100,
        tools: { search: { calls: 100, timeouts: 50 }, fetch_page: { calls: 40, errors: 1 } },
      }),
      11,
    );
    expect(answer(outcomes, FindingKind.ToolTimeouts, "search").verdict).toBe("finding");
    expect(answer(outcomes, FindingKind.ToolTimeouts, "fetch_page").verdict).toBe("healthy");
    expect(answer(outcomes, FindingKind.ToolFailures, "search").verdict).toBe("healthy");
    expect(answer(outcomes, FindingKind.ToolFailures, "fetch_page").verdict).toBe("healthy");
  });

  it.each([
    [{ calls: 100, errors: 25 }, "finding"],
    [{ calls: 100, errors: 10 }, "healthy"],
    [{ calls: 9, errors: 9 }, "inconclusive"], // 18 calls < 20
  ] as const)("tool failures %o per window → %s", (tool, verdict) => {
    const outcomes = evaluate(scenario({ runs: 100, tools: { search: tool } }), 11);
    expect(answer(outcomes, FindingKind.ToolFailures, "search").verdict).toBe(verdict);
  });

  it.each([
    [30, "finding"],
    [5, "healthy"],
  ] as const)("%d rejections by one validator in 100 runs → %s", (n, verdict) => {
    const outcomes = evaluate(scenario({ runs: 100, rejected: { output_max_length: n } }), 11);
    expect(answer(outcomes, FindingKind.ValidatorRejections, "output_max_length").verdict).toBe(
      verdict,
    );
  });

  it.each([
    [100, 60, "finding"],
    [100, 10, "healthy"],
    [9, 9, "inconclusive"], // 18 calls < 20
  ] as const)("%d model calls with %d on a fallback → %s", (modelCalls, fallbacks, verdict) => {
    const outcomes = evaluate(scenario({ runs: 50, modelCalls, fallbacks }), 11);
    expect(answer(outcomes, FindingKind.FallbackReliance).verdict).toBe(verdict);
  });
});

describe("budget burn and breaker flapping", () => {
  it.each([
    // tokens per window, budget per hour, verdict
    [1000, 120_000, "healthy"], // 60 k/h against 120 k
    [3000, 120_000, "finding"], // 180 k/h
    [10_000, 120_000, "finding"], // 600 k/h: critical
  ] as const)("%d tokens per minute against %d per hour → %s", (tokens, budget, verdict) => {
    const outcomes = evaluate(scenario({ runs: 20, tokens }, { runs: 20, tokens }), 11, {
      tokenBudgetPerHour: budget,
    });
    const outcome = answer(outcomes, FindingKind.BudgetBurn);
    expect(outcome.verdict).toBe(verdict);
    if (outcome.verdict === "finding") {
      expect(outcome.severity).toBe(tokens === 10_000 ? "critical" : "warning");
    }
  });

  it("has nothing to say about budget burn when the agent has no budget", () => {
    const outcomes = evaluate(scenario({ runs: 20, tokens: 1e6 }), 11);
    expect(outcomes.filter((o) => o.kind === FindingKind.BudgetBurn)).toEqual([]);
  });

  it.each([
    [0, "healthy"],
    [1, "healthy"],
    [2, "finding"], // 4 openings over the two windows
  ] as const)("%d breaker openings per window → %s", (opens, verdict) => {
    const outcomes = evaluate(scenario({ runs: 50, breakerOpens: opens }), 11);
    expect(answer(outcomes, FindingKind.BreakerFlapping).verdict).toBe(verdict);
  });
});

describe("low volume and missing data", () => {
  it("answers nothing at all without windows", () => {
    expect(evaluate([], 11)).toEqual([]);
  });

  it("keeps a low-volume agent inconclusive on every statistical detector, however bad", () => {
    const outcomes = evaluate(
      [
        ...steady(10, { runs: 5, failed: 1 }),
        ...[10, 11].map((i) =>
          windowAt(i, {
            runs: 5,
            failed: 5,
            latency: [[60_000, 5]],
            tools: { search: { calls: 5, timeouts: 5 } },
            rejected: { output_max_length: 5 },
            modelCalls: 5,
            fallbacks: 5,
          }),
        ),
      ],
      11,
    );
    for (const kind of [
      FindingKind.ErrorRateSlo,
      FindingKind.ErrorRateBaseline,
      FindingKind.LatencySlo,
      FindingKind.LatencyBaseline,
      FindingKind.ToolTimeouts,
      FindingKind.ValidatorRejections,
      FindingKind.FallbackReliance,
    ]) {
      const target =
        kind === FindingKind.ToolTimeouts
          ? "search"
          : kind === FindingKind.ValidatorRejections
            ? "output_max_length"
            : undefined;
      expect(answer(outcomes, kind, target).verdict, kind).toBe("inconclusive");
    }
  });

  it("ignores windows from the future and windows of another length", () => {
    // A half-length window from before a Monitor setting changed, inside the current span.
    const odd = {
      ...windowAt(10, { runs: 100, failed: 100 }),
      windowStart: endOf(10) + 1 - W / 2,
      windowMs: W / 2,
    };
    const future = windowAt(13, { runs: 100, failed: 100 });
    const windows = [...scenario({ runs: 100, failed: 1 }), odd, future];
    expect(answer(evaluate(windows, 11), FindingKind.ErrorRateSlo).verdict).toBe("healthy");
    expect(answer(evaluate(windows, 13), FindingKind.ErrorRateSlo).verdict).toBe("finding");
  });

  it("a disabled detector answers nothing", () => {
    const settings = DetectorSettings.parse({ error_rate_slo: { enabled: false } });
    const outcomes = runDetectors(
      { agent: "support", windows: scenario({ runs: 100, failed: 50 }), now: endOf(11), slo: SLO },
      settings,
    );
    expect(outcomes.some((o) => o.kind === FindingKind.ErrorRateSlo)).toBe(false);
    expect(outcomes.some((o) => o.kind === FindingKind.ErrorRateBaseline)).toBe(true);
  });
});
