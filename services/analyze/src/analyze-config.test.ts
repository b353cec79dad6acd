import { readConfig } from "@patinox/runtime";
import { describe, expect, it } from "vitest";
import { AnalyzeConfigSchema, analyzeSettings } from "./analyze-config.ts";

describe("analyze configuration", () => {
  it("has defaults for everything", () => {
    const settings = analyzeSettings(AnalyzeConfigSchema.parse({}));
    expect(settings).toMatchObject({ intervalMs: 15_000, debounceMs: 1_000, resolveAfter: 3 });
    expect(settings.detectors.error_rate_slo).toMatchObject({
      minRuns: 30,
      confidence: 0.99,
      dryRun: false,
    });
    expect(Object.isFrozen(settings)).toBe(true);
  });

  it("takes detector settings as JSON and a dry-run list", () => {
    const settings = analyzeSettings(
      AnalyzeConfigSchema.parse({
        PATINOX_ANALYZE_DETECTORS: '{"currentWindows":3,"tool_timeouts":{"maxRate":0.2}}',
        PATINOX_ANALYZE_DRY_RUN: "tool_timeouts, budget_burn",
      }),
    );
    expect(settings.detectors.currentWindows).toBe(3);
    expect(settings.detectors.tool_timeouts).toMatchObject({ maxRate: 0.2, dryRun: true });
    expect(settings.detectors.budget_burn.dryRun).toBe(true);
    expect(settings.detectors.error_rate_slo.dryRun).toBe(false);
  });

  it("dry-runs every detector with all", () => {
    const settings = analyzeSettings(AnalyzeConfigSchema.parse({ PATINOX_ANALYZE_DRY_RUN: "all" }));
    expect(settings.detectors.latency_baseline.dryRun).toBe(true);
    expect(settings.detectors.fallback_reliance.dryRun).toBe(true);
  });

  it.each([
    ["PATINOX_ANALYZE_DETECTORS", "{nope"],
    ["PATINOX_ANALYZE_DETECTORS", '{"error_rate_slo":{"confidence":1}}'],
    ["PATINOX_ANALYZE_DETECTORS", '{"unknown_detector":{}}'],
    ["PATINOX_ANALYZE_DRY_RUN", "error_rate,typo"],
    ["PATINOX_ANALYZE_RESOLVE_AFTER", "0"],
  ])("refuses %s=%s naming the variable", (name, value) => {
    expect(() => readConfig(AnalyzeConfigSchema, { [name]: value })).toThrow(name);
  });
});
