import type { BenchOptions } from "./bench-options.ts";
import type { LoadResult } from "./load-protocol.ts";

/** What was measured of one side (Execute or the baseline). */
export interface SideFigures {
  readonly instant: LoadResult;
  readonly slow: LoadResult;
  /** Resident set size, warmed up and idle, in bytes (median of samples). */
  readonly idleRssBytes: number;
  /** Resident set size during the measured part of (b), in bytes (median of samples). */
  readonly inFlightRssBytes: number;
}

/** Everything one run measured. */
export interface BenchFigures {
  readonly date: string;
  readonly node: string;
  readonly cores: number;
  readonly options: BenchOptions;
  readonly baseline: SideFigures;
  readonly execute: SideFigures;
}

/** The goals of the Execute issue. */
export const GOALS = {
  /** (a) Execute's throughput over the baseline's, at least. */
  instantRatio: 0.9,
  /** (b) Execute's throughput over Little's-law ideal, at least. */
  slowIdealRatio: 0.95,
  /** (b) resident memory per in-flight run, at most, in KB of 1,000 bytes. */
  kbPerRun: 30,
} as const;

/** One goal, measured. */
export interface GoalCheck {
  readonly name: string;
  readonly measured: number;
  readonly goal: string;
  readonly met: boolean;
  readonly unit: string;
}

/** Little's law: `inFlight` requests each taking `latencyMs` complete at most this fast. */
export function littlesLawIdeal(options: BenchOptions): number {
  return options.slowInFlight / (options.modelLatencyMs / 1000);
}

/** Resident bytes each in-flight run of (b) adds over idle, in KB of 1,000 bytes. */
export function kbPerInFlightRun(side: SideFigures, inFlight: number): number {
  return (side.inFlightRssBytes - side.idleRssBytes) / inFlight / 1000;
}

/** The goals, checked. A phase with failed requests cannot meet its goal. */
export function checkGoals(figures: BenchFigures): GoalCheck[] {
  const { execute, baseline, options } = figures;
  const clean = (r: LoadResult) => r.failures === 0;
  const instantRatio = execute.instant.throughput / baseline.instant.throughput;
  const idealRatio = execute.slow.throughput / littlesLawIdeal(options);
  const kb = kbPerInFlightRun(execute, options.slowInFlight);
  return [
    {
      name: "(a) Execute / baseline, throughput",
      measured: instantRatio,
      goal: `>= ${GOALS.instantRatio.toFixed(2)}`,
      met: instantRatio >= GOALS.instantRatio && clean(execute.instant),
      unit: "",
    },
    {
      name: "(b) Execute / Little's-law ideal, throughput",
      measured: idealRatio,
      goal: `>= ${GOALS.slowIdealRatio.toFixed(2)}`,
      met: idealRatio >= GOALS.slowIdealRatio && clean(execute.slow),
      unit: "",
    },
    {
      name: "(b) Execute, resident memory per in-flight run",
      measured: kb,
      goal: `<= ${GOALS.kbPerRun} KB`,
      met: kb <= GOALS.kbPerRun,
      unit: " KB",
    },
  ];
}

const int = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
const ms = (value: number) => value.toFixed(1);

function row(cells: readonly string[], widths: readonly number[]): string {
  return cells
    .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
    .join("  ")
    .trimEnd();
}

/** The printed report: the table, the ratios and the goals with met / MISSED. */
export function formatReport(figures: BenchFigures): string {
  const { options } = figures;
  const ideal = littlesLawIdeal(options);
  const lines: string[] = [
    `Execute benchmark · ${figures.date} · Node ${figures.node} · ${figures.cores} cores`,
    `(a) model answers at once: ${int.format(options.instantRequests)} requests per side, ${options.instantInFlight} in flight`,
    `(b) model takes ${options.modelLatencyMs} ms: ${int.format(options.slowRequests)} requests per side, ${options.slowInFlight} in flight (Little's-law ideal ${int.format(ideal)} runs/s)`,
    "",
  ];
  const widths = [18, 8, 9, 9, 9, 9];
  lines.push(row(["scenario / side", "runs/s", "p50 ms", "p99 ms", "max ms", "failed"], widths));
  for (const [label, key] of [
    ["(a)", "instant"],
    ["(b)", "slow"],
  ] as const) {
    for (const side of ["baseline", "execute"] as const) {
      const r = figures[side][key];
      lines.push(
        row(
          [
            `${label} ${side}`,
            int.format(r.throughput),
            ms(r.p50),
            ms(r.p99),
            ms(r.max),
            String(r.failures),
          ],
          widths,
        ),
      );
    }
  }
  lines.push("");
  const memoryWidths = [18, 10, 16, 18];
  lines.push(
    row(
      ["memory (RSS)", "idle", `${options.slowInFlight} in flight`, "per in-flight run"],
      memoryWidths,
    ),
  );
  for (const side of ["baseline", "execute"] as const) {
    const s = figures[side];
    lines.push(
      row(
        [
          side,
          mb(s.idleRssBytes),
          mb(s.inFlightRssBytes),
          `${kbPerInFlightRun(s, options.slowInFlight).toFixed(1)} KB`,
        ],
        memoryWidths,
      ),
    );
  }
  const { execute: e, baseline: b } = figures;
  lines.push(
    "",
    "ratios Execute / baseline (throughput; p50, p99 latency):",
    `  (a) ${(e.instant.throughput / b.instant.throughput).toFixed(2)}; ${(e.instant.p50 / b.instant.p50).toFixed(2)}, ${(e.instant.p99 / b.instant.p99).toFixed(2)}`,
    `  (b) ${(e.slow.throughput / b.slow.throughput).toFixed(2)}; ${(e.slow.p50 / b.slow.p50).toFixed(2)}, ${(e.slow.p99 / b.slow.p99).toFixed(2)}`,
    `  (b) over Little's-law ideal: Execute ${(e.slow.throughput / ideal).toFixed(2)}, baseline ${(b.slow.throughput / ideal).toFixed(2)}`,
    "",
    "goals:",
  );
  for (const goal of checkGoals(figures)) {
    lines.push(
      `  ${goal.name.padEnd(48)} ${`${goal.measured.toFixed(2)}${goal.unit}`.padStart(9)}  goal ${goal.goal.padEnd(9)} ${goal.met ? "met" : "MISSED"}`,
    );
  }
  for (const side of ["baseline", "execute"] as const) {
    for (const key of ["instant", "slow"] as const) {
      const r = figures[side][key];
      if (r.failures > 0) {
        lines.push(
          `FAILED REQUESTS in ${key} / ${side}: ${r.failures} (e.g. ${r.failureSamples.join(" | ")})`,
        );
      }
    }
  }
  return lines.join("\n");
}
