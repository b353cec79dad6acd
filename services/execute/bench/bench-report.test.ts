import { describe, expect, it } from "vitest";
import { parseBenchOptions } from "./bench-options.ts";
import {
  type BenchFigures,
  checkGoals,
  formatReport,
  type MeasuredPhase,
  type SideFigures,
} from "./bench-report.ts";

const options = (() => {
  const parsed = parseBenchOptions([], {});
  if (parsed === "help") throw new Error("unexpected help");
  return parsed;
})();

function phase(throughput: number, failures = 0): MeasuredPhase {
  return {
    load: {
      kind: "result",
      requests: 10_000,
      inFlight: 64,
      failures,
      failureSamples: failures > 0 ? ["timeout"] : [],
      elapsedMs: 1_000,
      throughput,
      p50: 10,
      p99: 20,
      max: 30,
    },
    cpu: { wallSeconds: 4, cpu: { server: 3, nats: 0.5, model: 0.5, load: 0.5 } },
  };
}

function side(instant: number, slow: number, heldHeapBytes: number, failures = 0): SideFigures {
  const reading = (heap: number) => ({
    probe: 1,
    rss: 100e6,
    heapUsed: heap,
    external: 0,
    arrayBuffers: 0,
  });
  return {
    instant: phase(instant, failures),
    slow: phase(slow),
    idleRssBytes: 100e6,
    inFlightRssBytes: 120e6,
    idleAfterGc: reading(20e6),
    heldAfterGc: reading(20e6 + heldHeapBytes),
  };
}

function figures(execute: SideFigures): BenchFigures {
  return {
    date: "2026-11-24T07:45:00.000Z",
    node: "v20.20.2",
    cores: 2,
    loadAverage: { start: 1, end: 1 },
    options,
    baseline: side(2_000, 3_000, 20e6),
    execute,
    executeLog: {
      runsFinished: 1,
      requestsSent: 1,
      warnings: 0,
      errors: 0,
      otherLines: 0,
      samples: [],
    },
  };
}

describe("checkGoals", () => {
  it("meets (a) at 0.9 of the baseline, (b) at 0.95 of 4,000 runs/s and 30 KB per run", () => {
    const goals = checkGoals(figures(side(1_800, 3_800, 25e6)));
    expect(goals.map((g) => [g.measured.toFixed(3), g.met])).toEqual([
      ["0.900", true],
      ["0.950", true],
      ["20.000", true],
      ["25.000", true],
    ]);
  });

  it("misses each goal just below it", () => {
    const goals = checkGoals(figures(side(1_799, 3_799, 30.1e6)));
    expect(goals.map((g) => g.met)).toEqual([false, false, true, false]);
  });

  it("misses (a) when requests failed, however fast the rest was", () => {
    const goals = checkGoals(figures(side(5_000, 3_800, 25e6, 3)));
    expect(goals[0]?.met).toBe(false);
  });
});

describe("formatReport", () => {
  it("says MISSED for a missed goal and names failed requests", () => {
    const report = formatReport(figures(side(1_000, 3_800, 25e6, 2)));
    expect(report).toMatch(
      /\(a\) Execute \/ baseline, throughput\s+0\.50\s+goal >= 0\.90\s+MISSED/,
    );
    expect(report).toContain("FAILED REQUESTS in (a) execute: 2");
    expect(report).toContain("CPU ms/run");
  });
});
