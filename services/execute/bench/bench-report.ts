import type { BenchOptions } from "./bench-options.ts";
import type { LoadResult } from "./load-protocol.ts";
import type { MemoryReading } from "./memory-probe.ts";
import type { ServiceLogSummary } from "./service-log.ts";

/** The processes whose CPU is counted during a measured phase. */
export type Party = "server" | "nats" | "model" | "load";

/** CPU seconds each party used during a phase, and the phase's wall time. */
export interface CpuUse {
  readonly wallSeconds: number;
  readonly cpu: Readonly<Record<Party, number>>;
}

/** One measured phase: what the load generator saw and what the processes spent. */
export interface MeasuredPhase {
  readonly load: LoadResult;
  readonly cpu: CpuUse;
}

/** What was measured of one side (Execute or the baseline). */
export interface SideFigures {
  readonly instant: MeasuredPhase;
  readonly slow: MeasuredPhase;
  /** Resident set size, warmed up and idle, in bytes (median of samples). */
  readonly idleRssBytes: number;
  /** Resident set size during the measured part of (b), in bytes (median of samples). */
  readonly inFlightRssBytes: number;
  /** Memory after a full GC, warmed up and idle. */
  readonly idleAfterGc: MemoryReading;
  /** Memory after a full GC with `slowInFlight` runs held on the hold model. */
  readonly heldAfterGc: MemoryReading;
}

/** Everything one run measured. */
export interface BenchFigures {
  readonly date: string;
  readonly node: string;
  readonly cores: number;
  /** The machine's one-minute load average when the bench started and ended. */
  readonly loadAverage: { readonly start: number; readonly end: number };
  readonly options: BenchOptions;
  readonly baseline: SideFigures;
  readonly execute: SideFigures;
  /** Execute's log: `run finished` lines (completed runs log it at debug), warnings, errors. */
  readonly executeLog: ServiceLogSummary & { readonly requestsSent: number };
}

/** The goals of the Execute issue. */
export const GOALS = {
  /** (a) Execute's throughput over the baseline's, at least. */
  instantRatio: 0.9,
  /** (b) Execute's throughput over Little's-law ideal, at least. */
  slowIdealRatio: 0.95,
  /** Resident memory per in-flight run, at most, in KB of 1,000 bytes. */
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

/** Bytes per in-flight run of `inFlight` runs between two readings, in KB of 1,000 bytes. */
export function kbPerRun(idle: number, loaded: number, inFlight: number): number {
  return (loaded - idle) / inFlight / 1000;
}

/** RSS per in-flight run while (b) runs, over idle (neither after a forced GC). */
export function loadedKbPerRun(side: SideFigures, inFlight: number): number {
  return kbPerRun(side.idleRssBytes, side.inFlightRssBytes, inFlight);
}

/**
 * JavaScript heap (used, plus external memory such as buffers) per held run, both readings after
 * a full GC: what a run in flight keeps alive. (RSS after a GC says little: V8 keeps the pages.)
 */
export function heldHeapKbPerRun(side: SideFigures, inFlight: number): number {
  const total = (r: MemoryReading) => r.heapUsed + r.external;
  return kbPerRun(total(side.idleAfterGc), total(side.heldAfterGc), inFlight);
}

/** The goals, checked. A phase with failed requests cannot meet its goal. */
export function checkGoals(figures: BenchFigures): GoalCheck[] {
  const { execute, baseline, options } = figures;
  const clean = (p: MeasuredPhase) => p.load.failures === 0;
  const instantRatio = execute.instant.load.throughput / baseline.instant.load.throughput;
  const idealRatio = execute.slow.load.throughput / littlesLawIdeal(options);
  const loaded = loadedKbPerRun(execute, options.slowInFlight);
  const held = heldHeapKbPerRun(execute, options.slowInFlight);
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
      name: "(b) Execute, RSS per in-flight run, under (b) load",
      measured: loaded,
      goal: `<= ${GOALS.kbPerRun} KB`,
      met: loaded <= GOALS.kbPerRun,
      unit: " KB",
    },
    {
      name: "    heap per run held, after a full GC",
      measured: held,
      goal: `<= ${GOALS.kbPerRun} KB`,
      met: held <= GOALS.kbPerRun,
      unit: " KB",
    },
  ];
}

const int = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
const fixed = (value: number, digits = 1) => value.toFixed(digits);
const SIDES = ["baseline", "execute"] as const;
const SCENARIOS = [
  ["(a)", "instant"],
  ["(b)", "slow"],
] as const;

function row(cells: readonly string[], widths: readonly number[]): string {
  return cells
    .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
    .join("  ")
    .trimEnd();
}

/** Server CPU milliseconds per request of a phase. */
export function cpuMsPerRun(phase: MeasuredPhase): number {
  return (phase.cpu.cpu.server * 1000) / phase.load.requests;
}

function throughputTable(figures: BenchFigures): string[] {
  const widths = [14, 7, 8, 8, 8, 11, 6];
  const lines = [row(["", "runs/s", "p50 ms", "p99 ms", "max ms", "CPU ms/run", "failed"], widths)];
  for (const [label, key] of SCENARIOS) {
    for (const side of SIDES) {
      const { load } = figures[side][key];
      lines.push(
        row(
          [
            `${label} ${side}`,
            int.format(load.throughput),
            fixed(load.p50),
            fixed(load.p99),
            fixed(load.max),
            fixed(cpuMsPerRun(figures[side][key]), 2),
            String(load.failures),
          ],
          widths,
        ),
      );
    }
  }
  return lines;
}

function cpuTable(figures: BenchFigures): string[] {
  const widths = [14, 8, 8, 8, 8, 8];
  const lines = [
    "cores busy during each measured phase (of the machine's; the rest is other load or idle):",
    row(["", "server", "nats", "model", "load", "total"], widths),
  ];
  for (const [label, key] of SCENARIOS) {
    for (const side of SIDES) {
      const { cpu, wallSeconds } = figures[side][key].cpu;
      const cores = (seconds: number) => fixed(seconds / wallSeconds, 2);
      const total = cpu.server + cpu.nats + cpu.model + cpu.load;
      lines.push(
        row(
          [
            `${label} ${side}`,
            cores(cpu.server),
            cores(cpu.nats),
            cores(cpu.model),
            cores(cpu.load),
            cores(total),
          ],
          widths,
        ),
      );
    }
  }
  return lines;
}

function memoryTable(figures: BenchFigures): string[] {
  const { options } = figures;
  const n = options.slowInFlight;
  const widths = [14, 9, 9, 11, 9, 9, 12];
  const lines = [
    `memory with ${n} runs in flight: RSS under (b) load; heap after a full GC with the runs held (${options.holdMs} ms model)`,
    row(["", "idle RSS", "(b) RSS", "RSS KB/run", "GC idle", "GC held", "heap KB/run"], widths),
  ];
  const heap = (r: MemoryReading) => mb(r.heapUsed + r.external);
  for (const side of SIDES) {
    const s = figures[side];
    lines.push(
      row(
        [
          side,
          mb(s.idleRssBytes),
          mb(s.inFlightRssBytes),
          fixed(loadedKbPerRun(s, n)),
          heap(s.idleAfterGc),
          heap(s.heldAfterGc),
          fixed(heldHeapKbPerRun(s, n)),
        ],
        widths,
      ),
    );
  }
  return lines;
}

/** The printed report: the tables, the ratios and the goals with met / MISSED. */
export function formatReport(figures: BenchFigures): string {
  const { options } = figures;
  const ideal = littlesLawIdeal(options);
  const { execute: e, baseline: b } = figures;
  const ratio = (x: number, y: number) => fixed(x / y, 2);
  const lines: string[] = [
    `Execute benchmark · ${figures.date} · Node ${figures.node} · ${figures.cores} cores · load average ${fixed(figures.loadAverage.start)} at start, ${fixed(figures.loadAverage.end)} at end`,
    `(a) model answers at once: ${int.format(options.instantRequests)} requests per side, ${options.instantInFlight} in flight`,
    `(b) model takes ${options.modelLatencyMs} ms: ${int.format(options.slowRequests)} requests per side, ${options.slowInFlight} in flight (Little's-law ideal ${int.format(ideal)} runs/s)`,
    options.baselineHttp === "fetch"
      ? "baseline: the openai package on its default fetch; Execute: the openai package on undici's request (--baseline-http undici puts the baseline on the same transport)"
      : "baseline and Execute: the openai package on undici's request (Execute's ModelHttpClient): the ratios are what Patinox's own layers cost",
    "",
    ...throughputTable(figures),
    "",
    ...cpuTable(figures),
    "",
    ...memoryTable(figures),
    "",
    "Execute / baseline: throughput; p50, p99 latency; CPU per run",
  ];
  for (const [label, key] of SCENARIOS) {
    lines.push(
      `  ${label} ${ratio(e[key].load.throughput, b[key].load.throughput)}; ${ratio(e[key].load.p50, b[key].load.p50)}, ${ratio(e[key].load.p99, b[key].load.p99)}; ${ratio(cpuMsPerRun(e[key]), cpuMsPerRun(b[key]))}`,
    );
  }
  lines.push(
    `(b) over Little's-law ideal: Execute ${ratio(e.slow.load.throughput, ideal)}, baseline ${ratio(b.slow.load.throughput, ideal)}`,
    "",
    "goals:",
  );
  for (const goal of checkGoals(figures)) {
    lines.push(
      `  ${goal.name.padEnd(52)} ${`${fixed(goal.measured, 2)}${goal.unit}`.padStart(9)}  goal ${goal.goal.padEnd(9)} ${goal.met ? "met" : "MISSED"}`,
    );
  }
  const log = figures.executeLog;
  lines.push(
    "",
    `execute log (LOG_LEVEL ${process.env.LOG_LEVEL?.trim() || "info"}): ${log.runsFinished} "run finished" lines for ${log.requestsSent} requests sent (completed runs log it at debug), ${log.warnings} warnings, ${log.errors} errors, ${log.otherLines} other lines`,
    ...log.samples.map((line) => `  ${line}`),
  );
  for (const side of SIDES) {
    for (const [label, key] of SCENARIOS) {
      const { load } = figures[side][key];
      if (load.failures > 0) {
        lines.push(
          `FAILED REQUESTS in ${label} ${side}: ${load.failures} (e.g. ${load.failureSamples.join(" | ")})`,
        );
      }
    }
  }
  return lines.join("\n");
}
