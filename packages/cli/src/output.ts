import type { KvChange, KvRecord } from "./knowledge-bucket.ts";
import type { ServiceInstance, StatusReport } from "./status.ts";

/**
 * Lays out rows under a header in columns two spaces apart, left-aligned, with no trailing
 * blanks (so the output diffs and greps cleanly).
 */
export function renderTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length)),
  );
  const line = (cells: readonly string[]) =>
    header
      .map((_, column) => (cells[column] ?? "").padEnd(widths[column] ?? 0))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}

/** A duration the way an operator reads an uptime: `45s`, `3m 12s`, `2h 05m`, `3d 4h`. */
export function formatDuration(ms: number): string {
  const seconds = Math.floor(Math.max(0, ms) / 1000);
  const [d, h, m, s] = [
    Math.floor(seconds / 86_400),
    Math.floor(seconds / 3600) % 24,
    Math.floor(seconds / 60) % 60,
    seconds % 60,
  ];
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${String(m).padStart(2, "0")}m`;
  if (m > 0) return `${m}m ${String(s).padStart(2, "0")}s`;
  return `${s}s`;
}

/** A byte count in binary units: `512 B`, `1.5 KiB`, `12.0 MiB`. */
export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** The human form of `patinox status`. */
export function renderStatus(report: StatusReport, timeoutMs: number): string {
  const sections: string[] = [`NATS ${report.server}, prefix ${report.prefix}`];
  if (report.services.length > 0) {
    sections.push(
      renderTable(
        ["SERVICE", "INSTANCE", "VERSION", "UPTIME", "ENDPOINT", "SUBJECT"],
        serviceRows(report.services),
      ),
    );
  }
  sections.push(
    report.missing.length === 0
      ? "All four Patinox services are answering."
      : `Missing: ${report.missing.join(", ")} (no answer to $SRV discovery within ${timeoutMs} ms).`,
  );
  if (report.others.length > 0) {
    const names = report.others.map(
      (s) => `${s.name} ${s.version}${s.metadata.prefix ? ` (prefix ${s.metadata.prefix})` : ""}`,
    );
    sections.push(`Other services on this NATS: ${[...new Set(names)].join(", ")}.`);
  }
  const k = report.knowledge;
  sections.push(
    k.found
      ? renderTable(
          ["KNOWLEDGE", "VALUES", "SIZE", "HISTORY", "REPLICAS", "STORAGE"],
          [
            [
              k.bucket,
              String(k.values),
              formatBytes(k.bytes),
              String(k.history),
              String(k.replicas),
              k.storage,
            ],
          ],
        )
      : capitalise(k.reason),
  );
  return `${sections.join("\n\n")}\n`;
}

/** One row per endpoint; the instance columns are written on its first row only. */
function serviceRows(services: readonly ServiceInstance[]): string[][] {
  return services.flatMap((s) => {
    const first = [
      s.name,
      s.instance,
      s.version,
      s.uptimeMs === null ? "?" : formatDuration(s.uptimeMs),
    ];
    if (s.endpoints.length === 0) return [[...first, "-", "-"]];
    return s.endpoints.map((e, i) => [...(i === 0 ? first : ["", "", "", ""]), e.name, e.subject]);
  });
}

/** The human form of `patinox kv get`: the metadata, then the value (JSON pretty-printed). */
export function renderRecord(record: KvRecord): string {
  const header = renderTable(
    ["KEY", "REVISION", "CREATED", "FORMAT"],
    [[record.key, String(record.revision), record.created, record.format]],
  );
  return `${header}\n\n${renderValue(record, 2)}\n`;
}

/** One line of `patinox kv watch`: time, operation, key, revision and (for a put) the value. */
export function renderChange(change: KvChange): string {
  const cells = [change.created, change.kind.padEnd(6), change.key, `rev ${change.revision}`];
  if (change.kind === "put") cells.push(renderValue(change, 0));
  return `${cells.join("  ")}\n`;
}

function renderValue(value: KvRecord | Extract<KvChange, { kind: "put" }>, indent: number): string {
  if (value.format === "json") return JSON.stringify(value.value, null, indent);
  if (value.format === "binary") return `(binary, base64) ${value.value}`;
  return indent === 0 ? JSON.stringify(value.value) : value.value;
}

/** A JSON document for `--json` output: indented, newline-terminated. */
export function jsonDocument(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** One line of JSON Lines output (`kv watch --json`). */
export function jsonLine(value: unknown): string {
  return `${JSON.stringify(value)}\n`;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
