import type { LatencyHistogram, MetricWindow, ToolCounters } from "@patinox/contracts";
import { emptyHistogram, mergeHistograms } from "@patinox/histogram";

/** The windows of a span added up. */
export interface SpanTotals {
  /** Start (epoch ms) of the windows, oldest first. */
  readonly windows: readonly number[];
  /** The window records themselves, oldest first (for per-window dispersion). */
  readonly records: readonly MetricWindow[];
  readonly runs: number;
  readonly ok: number;
  readonly failedByCode: Readonly<Record<string, number>>;
  readonly rejectedByValidator: Readonly<Record<string, number>>;
  readonly latency: LatencyHistogram;
  readonly tokens: number;
  readonly costUsd: number;
  readonly modelCalls: number;
  readonly fallbacks: number;
  readonly tools: Readonly<Record<string, ToolCounters>>;
  readonly breakerOpens: number;
}

/** The current and baseline spans of one evaluation. */
export interface Spans {
  readonly windowMs: number;
  readonly current: SpanTotals;
  readonly baseline: SpanTotals;
}

/**
 * Splits an agent's windows at `now`: the current span is the windows that start within the
 * last `currentWindows` window lengths (the one in progress included), the baseline the
 * `baselineWindows` lengths before that. Window length is the newest window's; windows of
 * another length (a changed Monitor setting) are left out rather than mixed in.
 */
export function splitSpans(
  windows: readonly MetricWindow[],
  now: number,
  lengths: { readonly currentWindows: number; readonly baselineWindows: number },
): Spans | undefined {
  const past = windows.filter((w) => w.windowStart <= now);
  const newest = past.reduce<MetricWindow | undefined>(
    (a, w) => (a === undefined || w.windowStart > a.windowStart ? w : a),
    undefined,
  );
  if (newest === undefined) return undefined;
  const windowMs = newest.windowMs;
  const currentFrom = now - lengths.currentWindows * windowMs;
  const baselineFrom = currentFrom - lengths.baselineWindows * windowMs;
  const same = past.filter((w) => w.windowMs === windowMs);
  return {
    windowMs,
    current: addUp(same.filter((w) => w.windowStart > currentFrom)),
    baseline: addUp(
      same.filter((w) => w.windowStart > baselineFrom && w.windowStart <= currentFrom),
    ),
  };
}

/** Adds up windows; each window start counts once (the last record given for it wins). */
export function addUp(windows: readonly MetricWindow[]): SpanTotals {
  const byStart = new Map<number, MetricWindow>();
  for (const w of windows) byStart.set(w.windowStart, w);
  const ordered = [...byStart.values()].sort((a, b) => a.windowStart - b.windowStart);
  // Keyed by names from events: without a prototype, a tool or validator named `constructor`
  // or `toString` is just a key (on `{}` its sum came out NaN or a string).
  const failedByCode: Record<string, number> = Object.create(null);
  const rejectedByValidator: Record<string, number> = Object.create(null);
  const tools: Record<string, ToolCounters> = Object.create(null);
  let latency = emptyHistogram();
  let runs = 0;
  let ok = 0;
  let tokens = 0;
  let costUsd = 0;
  let modelCalls = 0;
  let fallbacks = 0;
  let breakerOpens = 0;
  for (const w of ordered) {
    runs += w.runs;
    ok += w.ok;
    addInto(failedByCode, w.failedByCode);
    addInto(rejectedByValidator, w.rejectedByValidator);
    latency = mergeHistograms(latency, w.latency);
    tokens += w.tokens.input + w.tokens.output;
    costUsd += w.costUsd;
    for (const model of Object.values(w.models)) modelCalls += model.calls;
    fallbacks += w.fallbacks;
    breakerOpens += w.breakerOpens;
    for (const [tool, c] of Object.entries(w.tools)) {
      const t = tools[tool] ?? { calls: 0, errors: 0, timeouts: 0, invalidArgs: 0 };
      tools[tool] = {
        calls: t.calls + c.calls,
        errors: t.errors + c.errors,
        timeouts: t.timeouts + c.timeouts,
        invalidArgs: t.invalidArgs + c.invalidArgs,
      };
    }
  }
  return {
    windows: ordered.map((w) => w.windowStart),
    records: ordered,
    runs,
    ok,
    failedByCode,
    rejectedByValidator,
    latency,
    tokens,
    costUsd,
    modelCalls,
    fallbacks,
    tools,
    breakerOpens,
  };
}

/** Failed runs, leaving out codes that are not the agent's failures (`cancelled`). */
export function failedRuns(
  span: Pick<SpanTotals, "failedByCode">,
  ignoredCodes: readonly string[],
): number {
  let failed = 0;
  for (const [code, n] of Object.entries(span.failedByCode)) {
    if (!ignoredCodes.includes(code)) failed += n;
  }
  return failed;
}

function addInto(into: Record<string, number>, from: Readonly<Record<string, number>>): void {
  for (const [key, n] of Object.entries(from)) into[key] = (into[key] ?? 0) + n;
}
