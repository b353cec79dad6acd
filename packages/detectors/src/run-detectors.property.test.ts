import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DetectorSettings } from "./detector-settings.ts";
import { runDetectors } from "./run-detectors.ts";
import { generateWindows, HEALTHY, SLO } from "./test-support/traffic.ts";

const SETTINGS = DetectorSettings.parse({});
const START = 1_700_000_000_000;

describe("runDetectors properties", () => {
  it("answers the same whatever the order of the windows and however often one repeats", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000 }),
        fc.double({ min: 0, max: 0.5, noNaN: true }),
        fc.integer({ min: 3, max: 20 }),
        fc.array(fc.nat(), { minLength: 0, maxLength: 5 }),
        (seed, errorRate, at, repeats) => {
          const windows = generateWindows(() => ({ ...HEALTHY, errorRate }), {
            windows: 20,
            seed,
            start: START,
          });
          const input = {
            agent: "support",
            now: START + at * 60_000 - 1,
            slo: SLO,
            tokenBudgetPerHour: 1e7,
          };
          const reference = runDetectors({ ...input, windows }, SETTINGS);
          const shuffled =
            fc.sample(fc.shuffledSubarray(windows, { minLength: windows.length }), {
              seed,
              numRuns: 1,
            })[0] ?? [];
          const doubled = [
            ...shuffled,
            ...repeats.map((r) => windows[r % windows.length]).filter((w) => w !== undefined),
          ];
          expect(runDetectors({ ...input, windows: doubled }, SETTINGS)).toEqual(reference);
        },
      ),
      { numRuns: 40 },
    );
  });

  it("never throws and keeps every number finite, whatever the counts", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000 }),
        fc.record({
          runsPerWindow: fc.integer({ min: 0, max: 300 }),
          errorRate: fc.double({ min: 0, max: 1, noNaN: true }),
          latencyMedianMs: fc.double({ min: 0.0001, max: 100_000, noNaN: true }),
          breakerOpensPerWindow: fc.double({ min: 0, max: 5, noNaN: true }),
          fallbackShare: fc.double({ min: 0, max: 1, noNaN: true }),
        }),
        (seed, profile) => {
          const windows = generateWindows(() => ({ ...HEALTHY, ...profile }), {
            windows: 14,
            seed,
            start: START,
          });
          const outcomes = runDetectors(
            {
              agent: "support",
              windows,
              now: START + 14 * 60_000 - 1,
              slo: SLO,
              tokenBudgetPerHour: 1000,
            },
            SETTINGS,
          );
          for (const o of outcomes) {
            if (o.verdict === "inconclusive") continue;
            for (const [name, n] of Object.entries(o.evidence.numbers)) {
              expect(Number.isFinite(n), `${o.kind} ${name}`).toBe(true);
            }
            if (o.verdict === "finding") expect(o.confidence).toBeGreaterThanOrEqual(0);
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});
