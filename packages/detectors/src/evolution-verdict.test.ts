import { FindingKind } from "@patinox/contracts";
import { describe, expect, it } from "vitest";
import { EvolutionSettings, evolutionVerdict } from "./evolution-verdict.ts";
import { T0, W, type WindowCounts, windowAt } from "./test-support/windows.ts";

const SETTINGS = EvolutionSettings.parse({});
/** The change went live at the start of window 10. */
const APPLIED_AT = T0 + 10 * W;

function judge(
  kind: FindingKind,
  before: WindowCounts,
  after: WindowCounts,
  options: { afterWindows?: number; target?: string } = {},
) {
  const windows = [
    ...Array.from({ length: 10 }, (_, i) => windowAt(i, before)),
    ...Array.from({ length: options.afterWindows ?? 5 }, (_, i) => windowAt(10 + i, after)),
  ];
  return evolutionVerdict(
    {
      kind,
      ...(options.target ? { target: options.target } : {}),
      fromVersion: 1,
      toVersion: 2,
      appliedAt: APPLIED_AT,
      windows,
    },
    SETTINGS,
  );
}

describe("evolution verdict", () => {
  it("a tool that stopped timing out has improved", () => {
    const result = judge(
      FindingKind.ToolTimeouts,
      { runs: 100, tools: { search: { calls: 100, timeouts: 50 } } },
      { runs: 100, tools: { search: { calls: 100, timeouts: 2 } } },
      { target: "search" },
    );
    expect(result).toMatchObject({ metric: "tool_timeout_rate", verdict: "improved" });
    expect(result.before).toMatchObject({ value: 0.5, samples: 1000 });
    expect(result.before.windows).toHaveLength(10);
    expect(result.after).toMatchObject({ value: 0.02, samples: 500 });
    expect(result.effect).toBeCloseTo(0.04, 10);
    expect(result.pValue).toBeLessThan(1e-10);
  });

  it.each([
    [{ runs: 100, failed: 2 }, { runs: 100, failed: 2 }, "no_change"],
    [{ runs: 100, failed: 2 }, { runs: 100, failed: 10 }, "regressed"],
    [{ runs: 100, failed: 10 }, { runs: 100, failed: 2 }, "improved"],
    [{ runs: 100, failed: 2 }, { runs: 100, failed: 3 }, "no_change"], // +50% but not significant
    [{ runs: 5, failed: 1 }, { runs: 5, failed: 5 }, "inconclusive"], // 25 runs after < 100
  ] as const)("error rate %o then %o → %s", (before, after, verdict) => {
    expect(judge(FindingKind.ErrorRateSlo, before, after).verdict).toBe(verdict);
  });

  it("is inconclusive until enough windows follow the change", () => {
    const result = judge(
      FindingKind.ErrorRateSlo,
      { runs: 100, failed: 2 },
      { runs: 1000, failed: 500 },
      { afterWindows: 2 },
    );
    expect(result.verdict).toBe("inconclusive");
    expect(result.reason).toMatch(/2 windows after the change/);
  });

  it("judges p95 latency by the share of runs above the old p95", () => {
    const slow = {
      runs: 100,
      latency: [
        [500, 80],
        [4000, 20],
      ],
    } as const;
    const fast = {
      runs: 100,
      latency: [
        [500, 97],
        [900, 3],
      ],
    } as const;
    expect(judge(FindingKind.LatencySlo, slow, fast).verdict).toBe("improved");
    expect(judge(FindingKind.LatencyBaseline, fast, slow).verdict).toBe("regressed");
    expect(judge(FindingKind.LatencySlo, fast, fast).verdict).toBe("no_change");
  });

  it("judges token burn by tokens per run, without a test", () => {
    const result = judge(
      FindingKind.BudgetBurn,
      { runs: 100, tokens: 200_000 },
      { runs: 100, tokens: 100_000 },
    );
    expect(result).toMatchObject({ verdict: "improved", metric: "tokens_per_run", effect: 0.5 });
    expect(result.pValue).toBeUndefined();
  });

  it("splits by version where windows carry versions, leaving out the mixed window", () => {
    const windows = [
      ...Array.from({ length: 8 }, (_, i) =>
        windowAt(i, { runs: 100, failed: 10, versions: { "1": 100 } }),
      ),
      windowAt(8, { runs: 100, failed: 50, versions: { "1": 50, "2": 50 } }),
      ...Array.from({ length: 4 }, (_, i) =>
        windowAt(9 + i, { runs: 100, failed: 1, versions: { "2": 100 } }),
      ),
    ];
    // appliedAt says window 3, but the versions say otherwise and win.
    const result = evolutionVerdict(
      {
        kind: FindingKind.ErrorRateSlo,
        fromVersion: 1,
        toVersion: 2,
        appliedAt: T0 + 3 * W,
        windows,
      },
      SETTINGS,
    );
    expect(result.verdict).toBe("improved");
    expect(result.before.windows).toHaveLength(8);
    expect(result.after.windows).toHaveLength(4);
    expect(result.before.value).toBeCloseTo(0.1, 10);
  });
});
