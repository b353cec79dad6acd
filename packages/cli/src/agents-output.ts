import { type DefinitionRevision, formatFieldChange } from "@patinox/agents";
import type { AgentApplyReport, AgentsReport, ApplyReport, HistoryReport } from "./agents.ts";
import { renderTable } from "./output.ts";

/**
 * One agent of `patinox agents apply`, as soon as it is done: a line saying what happened,
 * then the changed fields, indented (`  tools.lookup_order.timeoutMs: 5000 → 8000`). A new
 * agent's fields are not listed: all of them are new.
 */
export function renderAgentApplied(report: AgentApplyReport, dryRun: boolean): string {
  const would = dryRun ? "would be " : "";
  let what: string;
  switch (report.outcome) {
    case "created":
      what = `${would}created, version ${report.version}`;
      break;
    case "updated":
      what = `${would}updated, version ${report.previousVersion} → ${report.version}`;
      break;
    case "unchanged":
      what = `unchanged, version ${report.version}`;
      break;
  }
  const lines = [`${report.agent} (${report.file}): ${what}`];
  if (report.outcome === "updated") {
    for (const change of report.changes) lines.push(`  ${formatFieldChange(change)}`);
  }
  return `${lines.join("\n")}\n`;
}

/** The closing line of `patinox agents apply`: counts, and whether anything was written. */
export function renderApplySummary(report: ApplyReport): string {
  const count = (outcome: AgentApplyReport["outcome"]) =>
    report.agents.filter((a) => a.outcome === outcome).length;
  const agents = report.agents.length === 1 ? "1 agent" : `${report.agents.length} agents`;
  const counts = `${count("created")} created, ${count("updated")} updated, ${count("unchanged")} unchanged`;
  if (report.dryRun) {
    return `\nDry run, nothing written: ${agents} (${counts}) against bucket ${report.bucket}.\n`;
  }
  const written = count("created") + count("updated") > 0;
  const by = written ? `, applied by ${report.appliedBy}` : "";
  return `\n${agents}: ${counts} in bucket ${report.bucket}${by}.\n`;
}

/** `patinox agents history <agent>`: one row per kept revision, oldest first. */
export function renderHistory(report: HistoryReport): string {
  const rows = report.revisions.map(historyRow);
  return `${renderTable(["REVISION", "VERSION", "APPLIED AT", "APPLIED BY", "REASON"], rows.map(oneLine))}\n`;
}

function historyRow(revision: DefinitionRevision): string[] {
  switch (revision.kind) {
    case "applied":
      return [
        String(revision.revision),
        String(revision.version),
        revision.appliedAt,
        revision.appliedBy,
        revision.reason,
      ];
    case "deleted":
      return [String(revision.revision), "-", "", "", "(deleted)"];
    case "invalid":
      return [String(revision.revision), "?", "", "", `(unreadable: ${revision.error.message})`];
  }
}

/** `patinox agents ls`: each agent with its live version. */
export function renderAgents(report: AgentsReport): string {
  const rows = report.agents.map((a) =>
    a.valid
      ? [a.agent, String(a.version), a.appliedAt, a.appliedBy]
      : [a.agent, "?", "", `(unreadable: ${a.error.message})`],
  );
  return `${renderTable(["AGENT", "VERSION", "APPLIED AT", "APPLIED BY"], rows.map(oneLine))}\n`;
}

/** Cells on one line each, so a reason with a newline cannot break the table. */
function oneLine(cells: readonly string[]): string[] {
  return cells.map((cell) => cell.replace(/\s*[\r\n]+\s*/g, " "));
}
