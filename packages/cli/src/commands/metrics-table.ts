import type { MetricWindow } from "@patinox/contracts";
import { quantile } from "@patinox/histogram";

/** One column of the metrics table: a header and how to read its number from a window. */
interface MetricColumn {
  readonly header: string;
  readonly value: (w: MetricWindow) => number | undefined;
  readonly format: (n: number) => string;
}

const sum = (values: Iterable<number>): number => {
  let total = 0;
  for (const v of values) total += v;
  return total;
};
const failed = (w: MetricWindow) => sum(Object.values(w.failedByCode));
const integer = (n: number) => String(Math.round(n));
const percent = (n: number) => `${(100 * n).toFixed(1)}%`;
const ms = (n: number) => (n >= 10_000 ? `${(n / 1000).toFixed(1)}s` : `${Math.round(n)}ms`);

/** The columns, in order. Ratios are `undefined` (blank) in a window without runs. */
export const METRIC_COLUMNS: readonly MetricColumn[] = [
  { header: "runs", value: (w) => w.runs, format: integer },
  { header: "err%", value: (w) => (w.runs ? failed(w) / w.runs : undefined), format: percent },
  { header: "p50", value: (w) => quantile(w.latency, 0.5), format: ms },
  { header: "p95", value: (w) => quantile(w.latency, 0.95), format: ms },
  { header: "p99", value: (w) => quantile(w.latency, 0.99), format: ms },
  { header: "tok in", value: (w) => w.tokens.input, format: integer },
  { header: "tok out", value: (w) => w.tokens.output, format: integer },
  { header: "cost $", value: (w) => w.costUsd, format: (n) => n.toFixed(4) },
  {
    header: "model err",
    value: (w) => sum(Object.values(w.models).map((m) => m.errors + m.timeouts)),
    format: integer,
  },
  { header: "fallback", value: (w) => w.fallbacks, format: integer },
  {
    header: "tool err",
    value: (w) => sum(Object.values(w.tools).map((t) => t.errors + t.timeouts + t.invalidArgs)),
    format: integer,
  },
  { header: "rejected", value: (w) => sum(Object.values(w.rejectedByValidator)), format: integer },
];

const BARS = "▁▂▃▄▅▆▇█";

/**
 * A sparkline of `values`: one bar per value, scaled between the smallest and largest; a blank
 * for a missing value; all the same height when every value is equal.
 */
export function sparkline(values: ReadonlyArray<number | undefined>): string {
  const present = values.filter((v): v is number => v !== undefined && Number.isFinite(v));
  if (present.length === 0) return " ".repeat(values.length);
  const low = Math.min(...present);
  const high = Math.max(...present);
  return values
    .map((v) => {
      if (v === undefined || !Number.isFinite(v)) return " ";
      if (high === low) return BARS[present.every((p) => p === 0) ? 0 : 3];
      return BARS[Math.round(((v - low) / (high - low)) * (BARS.length - 1))];
    })
    .join("");
}

/** The window's start as `HH:MM:SS` UTC (with the date when the windows span several days). */
function windowLabel(w: MetricWindow, withDate: boolean): string {
  const iso = new Date(w.windowStart).toISOString();
  return withDate ? `${iso.slice(5, 10)} ${iso.slice(11, 19)}` : iso.slice(11, 19);
}

/**
 * The windows (oldest first) as a table, one row per window and one column per metric, with a
 * last row holding each column's sparkline over the windows shown.
 */
export function renderMetricsTable(agent: string, windows: readonly MetricWindow[]): string {
  if (windows.length === 0) return `no metric windows for agent ${agent}\n`;
  const first = windows[0] as MetricWindow;
  const last = windows.at(-1) as MetricWindow;
  const withDate =
    new Date(first.windowStart).toISOString().slice(0, 10) !==
    new Date(last.windowStart).toISOString().slice(0, 10);
  const values = METRIC_COLUMNS.map((c) => windows.map((w) => c.value(w)));
  const header = [
    `window (UTC, ${first.windowMs / 1000}s)`,
    ...METRIC_COLUMNS.map((c) => c.header),
  ];
  const rows = windows.map((w, i) => [
    windowLabel(w, withDate),
    ...METRIC_COLUMNS.map((c, j) => {
      const v = values[j]?.[i];
      return v === undefined ? "" : c.format(v);
    }),
  ]);
  const trend = ["trend", ...values.map((column) => sparkline(column))];
  const table = [header, ...rows, trend];
  const widths = header.map((_, j) => Math.max(...table.map((row) => [...(row[j] ?? "")].length)));
  const line = (row: readonly string[]) =>
    row
      .map((cell, j) => (j === 0 ? cell.padEnd(widths[j] ?? 0) : cell.padStart(widths[j] ?? 0)))
      .join("  ")
      .trimEnd();
  const rule = widths.map((w) => "─".repeat(w)).join("  ");
  return `${[`agent ${agent}`, line(header), rule, ...rows.map(line), rule, line(trend)].join("\n")}\n`;
}
