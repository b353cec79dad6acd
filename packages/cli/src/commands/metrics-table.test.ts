import { MetricWindow } from "@patinox/contracts";
import { describe, expect, it } from "vitest";
import { renderMetricsTable, sparkline } from "./metrics-table.ts";

const window = (start: number, runs: number, failed: number, latency: number): MetricWindow =>
  MetricWindow.parse({
    v: 1,
    agent: "support",
    windowStart: start,
    windowMs: 60_000,
    runs,
    ok: runs - failed,
    failedByCode: failed ? { tool_failure: failed } : {},
    latency: {
      schema: "loglinear-v1",
      buckets: runs ? { [String(Math.ceil(Math.log(latency) / Math.log(1.01 / 0.99)))]: runs } : {},
      count: runs,
      sum: latency * runs,
      min: runs ? latency : 0,
      max: runs ? latency : 0,
    },
  });

describe("sparkline", () => {
  it("scales values between the lowest and highest bar, blanks for missing ones", () => {
    expect(sparkline([0, 7, 3.5, undefined])).toBe("▁█▅ ");
    expect(sparkline([2, 2, 2])).toBe("▄▄▄");
    expect(sparkline([0, 0])).toBe("▁▁");
    expect(sparkline([undefined, undefined])).toBe("  ");
  });
});

describe("renderMetricsTable", () => {
  it("shows one row per window and a sparkline per column", () => {
    const start = Date.UTC(2026, 0, 1, 12, 0, 0);
    const text = renderMetricsTable("support", [
      window(start, 10, 0, 100),
      window(start + 60_000, 20, 5, 400),
      window(start + 120_000, 0, 0, 0),
    ]);
    const lines = text.trimEnd().split("\n");
    expect(lines[0]).toBe("agent support");
    expect(lines[1]).toMatch(/^window \(UTC, 60s\)\s+runs\s+err%\s+p50\s+p95/);
    expect(lines[3]).toMatch(/^12:00:00\s+10\s+0\.0%\s+100ms\s+100ms/);
    expect(lines[4]).toMatch(/^12:01:00\s+20\s+25\.0%\s+400ms/);
    // No runs: ratios and latencies are blank, not zero.
    expect(lines[5]).toMatch(/^12:02:00\s+0\s+0\s+0/);
    const trend = lines.at(-1) ?? "";
    expect(trend).toMatch(/^trend\s+▅█▁\s+▁█\s/);
  });

  it("says so when the agent has no windows", () => {
    expect(renderMetricsTable("ghost", [])).toBe("no metric windows for agent ghost\n");
  });
});
