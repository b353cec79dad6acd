/**
 * Measures the detectors on simulated traffic: the false-positive rate on healthy traffic
 * with realistic noise, and how many windows a step change takes to be found.
 * Run: `pnpm --filter @patinox/detectors measure [seeds]` (default 500).
 */
import { FindingKind } from "@patinox/contracts";
import { DetectorSettings } from "../src/detector-settings.ts";
import { detectionLatency, measureFalsePositives } from "../src/test-support/simulation.ts";
import { HEALTHY, type TrafficProfile } from "../src/test-support/traffic.ts";

const seeds = Number(process.argv[2] ?? 500);
const settings = DetectorSettings.parse(JSON.parse(process.env.DETECTOR_SETTINGS ?? "{}"));

const fp = measureFalsePositives({
  seeds,
  windows: 40,
  settings,
  profile: HEALTHY,
  tokenBudgetPerHour: 15_000_000,
});
console.log(`healthy traffic: ${fp.seeds} seeds × ${fp.evaluations / fp.seeds} evaluations`);
console.log(
  `  evaluations with any finding: ${fp.evaluationsWithFinding}/${fp.evaluations} = ${pct(fp.evaluationsWithFinding / fp.evaluations)}`,
);
console.log(
  `  detector answers that were findings: ${fp.findingAnswers}/${fp.answers} = ${pct(fp.findingAnswers / fp.answers)}`,
);
console.log(`  by kind: ${JSON.stringify(fp.byKind)}`);

const low: TrafficProfile = { ...HEALTHY, runsPerWindow: 5 };
const fpLow = measureFalsePositives({
  seeds,
  windows: 40,
  settings,
  profile: { ...low, errorRate: 0.04 },
});
console.log(
  `low volume (5 runs/window, 4% errors): findings in ${fpLow.evaluationsWithFinding}/${fpLow.evaluations} evaluations`,
);

const steps: Array<[string, TrafficProfile, FindingKind[], string?]> = [
  [
    "error rate 2% → 10%",
    { ...HEALTHY, errorRate: 0.1 },
    [FindingKind.ErrorRateSlo, FindingKind.ErrorRateBaseline],
  ],
  [
    "error rate 2% → 6%",
    { ...HEALTHY, errorRate: 0.06 },
    [FindingKind.ErrorRateSlo, FindingKind.ErrorRateBaseline],
  ],
  [
    "error rate 2% → 15%",
    { ...HEALTHY, errorRate: 0.15 },
    [FindingKind.ErrorRateSlo, FindingKind.ErrorRateBaseline],
  ],
  [
    "median latency 800 → 2400 ms",
    { ...HEALTHY, latencyMedianMs: 2400 },
    [FindingKind.LatencySlo, FindingKind.LatencyBaseline],
  ],
  [
    "median latency 800 → 1600 ms",
    { ...HEALTHY, latencyMedianMs: 1600 },
    [FindingKind.LatencySlo, FindingKind.LatencyBaseline],
  ],
  [
    "median latency 800 → 1200 ms",
    { ...HEALTHY, latencyMedianMs: 1200 },
    [FindingKind.LatencySlo, FindingKind.LatencyBaseline],
  ],
  [
    "tool search timeouts 1% → 50%",
    {
      ...HEALTHY,
      tools: { ...HEALTHY.tools, search: { callsPerRun: 1.5, errorRate: 0.02, timeoutRate: 0.5 } },
    },
    [FindingKind.ToolTimeouts],
    "search",
  ],
];
for (const [name, after, kinds, target] of steps) {
  const latencies: Array<number | undefined> = [];
  for (let seed = 1; seed <= Math.min(seeds, 300); seed++) {
    latencies.push(
      detectionLatency({
        seed,
        settings,
        before: HEALTHY,
        after,
        kinds,
        ...(target ? { target } : {}),
      }),
    );
  }
  const histogram: Record<string, number> = {};
  for (const l of latencies) histogram[l ?? "missed"] = (histogram[l ?? "missed"] ?? 0) + 1;
  const within2 = latencies.filter((l) => l !== undefined && l <= 2).length;
  console.log(
    `${name}: found within 2 windows in ${within2}/${latencies.length}; windows to detection ${JSON.stringify(histogram)}`,
  );
}

function pct(x: number): string {
  return `${(100 * x).toFixed(3)}%`;
}
