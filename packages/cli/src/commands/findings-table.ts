import type { Finding } from "@patinox/contracts";
import { renderTable } from "../output.ts";

/** The number a finding is about, by detector kind, for the table's VALUE column. */
const HEADLINE: Readonly<Record<string, readonly [string, (n: number) => string]>> = {
  error_rate_slo: ["error_rate", percent],
  error_rate_baseline: ["error_rate", percent],
  latency_slo: ["p95_latency_ms", milliseconds],
  latency_baseline: ["p95_latency_ms", milliseconds],
  tool_failures: ["rate", percent],
  tool_timeouts: ["rate", percent],
  validator_rejections: ["rate", percent],
  fallback_reliance: ["rate", percent],
  budget_burn: ["pace", (n) => `${n.toFixed(2)}× budget`],
  breaker_flapping: ["breaker_opens", (n) => `${n} opens`],
};

/** Open first, critical first, most recently seen first. */
export function sortFindings(findings: readonly Finding[]): Finding[] {
  const rank = { critical: 0, warning: 1, info: 2 } as const;
  return [...findings].sort(
    (a, b) =>
      Number(a.status !== "open") - Number(b.status !== "open") ||
      rank[a.severity] - rank[b.severity] ||
      b.lastSeen.localeCompare(a.lastSeen),
  );
}

/** Findings as a table: one line each, the headline number and how long it has been seen. */
export function renderFindingsTable(findings: readonly Finding[], now: number): string {
  if (findings.length === 0) return "no findings\n";
  const rows = sortFindings(findings).map((f) => {
    const [field, format] = HEADLINE[f.kind] ?? ["", String];
    const value = f.evidence.numbers[field];
    return [
      f.agent,
      f.kind,
      f.target ?? "-",
      f.severity,
      f.dryRun ? `${f.status} (dry-run)` : f.status,
      value === undefined ? "-" : format(value),
      `${Math.round(f.confidence * 1000) / 10}%`,
      age(now, f.firstSeen),
      age(now, f.lastSeen),
      f.fingerprint,
    ];
  });
  return `${renderTable(
    [
      "AGENT",
      "KIND",
      "TARGET",
      "SEVERITY",
      "STATUS",
      "VALUE",
      "CONFIDENCE",
      "FIRST SEEN",
      "LAST SEEN",
      "FINGERPRINT",
    ],
    rows,
  )}\n`;
}

function percent(n: number): string {
  return `${(n * 100).toFixed(1)}%`;
}

function milliseconds(n: number): string {
  return `${Math.round(n)} ms`;
}

function age(now: number, iso: string): string {
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (seconds < 120) return `${seconds}s ago`;
  if (seconds < 7200) return `${Math.round(seconds / 60)}m ago`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)}h ago`;
  return `${Math.round(seconds / 86_400)}d ago`;
}
