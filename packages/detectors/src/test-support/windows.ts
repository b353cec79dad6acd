import { MetricWindow, type MetricWindow as MetricWindowRecord } from "@patinox/contracts";
import { emptyHistogram, recordValues } from "@patinox/histogram";

/** Start of window 0 in the tables. */
export const T0 = 1_700_000_040_000;
/** Window length in the tables. */
export const W = 60_000;

/** Evaluation time just before window `i` closes: windows i − 1 and i are current. */
export function endOf(i: number): number {
  return T0 + (i + 1) * W - 1;
}

/** What a table row sets in window `i`; everything else is zero. */
export interface WindowCounts {
  readonly runs?: number;
  readonly failed?: number;
  readonly cancelled?: number;
  /** Latencies recorded: `[ms, how many]` pairs. */
  readonly latency?: ReadonlyArray<readonly [number, number]>;
  readonly tools?: Readonly<Record<string, { calls: number; errors?: number; timeouts?: number }>>;
  readonly rejected?: Readonly<Record<string, number>>;
  readonly tokens?: number;
  readonly modelCalls?: number;
  readonly fallbacks?: number;
  readonly breakerOpens?: number;
  /** Runs by definition version. */
  readonly versions?: Readonly<Record<string, number>>;
}

/** Window `i` of agent `support` with the given counts. */
export function windowAt(i: number, c: WindowCounts, agent = "support"): MetricWindowRecord {
  const runs = c.runs ?? 0;
  const failed = c.failed ?? 0;
  const cancelled = c.cancelled ?? 0;
  const values: number[] = [];
  for (const [ms, n] of c.latency ?? []) for (let k = 0; k < n; k++) values.push(ms);
  const tools: Record<string, { calls: number; errors: number; timeouts: number }> = {};
  for (const [name, t] of Object.entries(c.tools ?? {})) {
    tools[name] = { calls: t.calls, errors: t.errors ?? 0, timeouts: t.timeouts ?? 0 };
  }
  return MetricWindow.parse({
    v: 1,
    agent,
    windowStart: T0 + i * W,
    windowMs: W,
    runs,
    ok: runs - failed - cancelled,
    failedByCode: {
      ...(failed > 0 ? { tool_failure: failed } : {}),
      ...(cancelled > 0 ? { cancelled } : {}),
    },
    rejectedByValidator: c.rejected ?? {},
    latency: recordValues(emptyHistogram(), values),
    tokens: { input: c.tokens ?? 0, output: 0 },
    models: c.modelCalls ? { m: { calls: c.modelCalls } } : {},
    fallbacks: c.fallbacks ?? 0,
    tools,
    breakerOpens: c.breakerOpens ?? 0,
    versions: c.versions ?? {},
  });
}

/** `count` windows 0…count−1, each with the same counts. */
export function steady(count: number, c: WindowCounts): MetricWindowRecord[] {
  return Array.from({ length: count }, (_, i) => windowAt(i, c));
}
