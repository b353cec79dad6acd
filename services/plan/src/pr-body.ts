import type { Finding, Plan } from "@patinox/contracts";

/** What a pull request body is made of. */
export interface BodyInput {
  readonly plan: Plan;
  /** The finding as it stands now (absent for a revert plan). */
  readonly finding?: Finding;
  /** The agent file in the repository. */
  readonly path: string;
  /** The unified diff of the file. */
  readonly diff: string;
  /** `{traceId}` is replaced by each sample trace id. */
  readonly traceUrl?: string;
  /** For a revert plan: the pull request of the plan it reverts. */
  readonly revertOfUrl?: string;
}

/** A marker that identifies Plan's pull requests for people and scripts. */
export function planMarker(plan: Plan): string {
  return `<!-- patinox:plan=${plan.planId} agent=${plan.agent} finding=${plan.findingFingerprint} -->`;
}

/** The title of a plan's pull request. */
export function titleFor(plan: Plan, finding?: Finding): string {
  if (plan.revertOf) return `${plan.agent}: revert ${plan.revertOf} (regressed)`;
  const what = plan.change.map((c) => `${c.path} → ${short(c.to)}`).join(", ");
  const target = finding?.target ? ` on ${finding.target}` : "";
  return `${plan.agent}: ${what} (${plan.findingKind ?? plan.kind}${target})`.slice(0, 250);
}

/**
 * The body of a plan's pull request, in Markdown: the evidence table, the change before and
 * after (the YAML diff), the rationale, what the policy refused, trace links and how to
 * revert. Built only from the plan, the finding and the diff: nothing in it comes from
 * configuration that could hold a credential.
 */
export function renderBody(input: BodyInput): string {
  const { plan, finding } = input;
  const lines: string[] = [planMarker(plan), ""];
  if (plan.revertOf) {
    lines.push(
      `Reverts plan \`${plan.revertOf}\`${input.revertOfUrl ? ` (${input.revertOfUrl})` : ""}: after it went live, Analyze measured a **regression** of the finding's metric.`,
      "",
    );
  } else {
    lines.push(
      `Patinox found **${plan.findingKind ?? plan.kind}**${finding?.target ? ` on \`${finding.target}\`` : ""} for agent \`${plan.agent}\` and proposes one bounded change of its definition.`,
      "",
    );
  }
  if (finding) {
    lines.push("### Evidence", "", "| | |", "| --- | --- |");
    lines.push(`| finding | \`${finding.fingerprint}\` (${finding.status}) |`);
    lines.push(`| severity | ${finding.severity} |`);
    lines.push(`| confidence | ${finding.confidence.toFixed(3)} |`);
    for (const [name, value] of Object.entries(finding.evidence.numbers)) {
      lines.push(`| ${escapeCell(name)} | ${formatNumber(value)} |`);
    }
    if (finding.evidence.test) lines.push(`| test | ${escapeCell(finding.evidence.test)} |`);
    lines.push(
      `| windows | ${finding.evidence.windows.length} (from ${windowTime(finding.evidence.windows)}) |`,
    );
    // Not `lastSeen`: it moves every tick, and the body would be rewritten every poll.
    lines.push(`| first seen | ${finding.firstSeen} |`);
    lines.push("");
    if (finding.sampleTraceIds.length > 0) {
      lines.push("Sample traces:");
      for (const id of finding.sampleTraceIds.slice(0, 10)) {
        lines.push(
          input.traceUrl
            ? `- [${id}](${input.traceUrl.replaceAll("{traceId}", id)})`
            : `- \`${id}\``,
        );
      }
      lines.push("");
    }
  }
  lines.push("### Change", "", "| field | before | after |", "| --- | --- | --- |");
  for (const change of plan.change) {
    lines.push(`| \`${change.path}\` | ${cell(change.from)} | ${cell(change.to)} |`);
  }
  lines.push("", `\`${input.path}\`:`, "", "```diff", input.diff.trimEnd(), "```", "");
  lines.push("### Rationale", "", plan.rationale, "");
  if (plan.dropped.length > 0) {
    lines.push("Refused by the agent's evolution policy on the way:", "");
    for (const d of plan.dropped) lines.push(`- \`${d.path}\`: ${d.reason}`);
    lines.push("");
  }
  lines.push(
    "### How to revert",
    "",
    "Revert this pull request's merge commit (GitHub's **Revert** button or `git revert -m 1 <merge commit>`) and apply the file again (`patinox agents apply`).",
    "If Analyze measures a regression after this change goes live, Plan opens a revert pull request itself.",
    "",
    `Plan \`${plan.planId}\` · made against definition version ${plan.baseVersion} · \`patinox plan show ${plan.planId}\``,
  );
  return lines.join("\n").slice(0, 60_000);
}

function short(value: unknown): string {
  const text = JSON.stringify(value) ?? "(unset)";
  return text.length > 40 ? `${text.slice(0, 37)}…` : text;
}

function cell(value: unknown): string {
  return value === undefined ? "(unset)" : `\`${escapeCell(JSON.stringify(value))}\``;
}

function escapeCell(text: string): string {
  return text.replaceAll("|", "\\|").replaceAll("\n", " ");
}

function formatNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toPrecision(4);
}

function windowTime(windows: readonly number[]): string {
  const first = Math.min(...windows);
  return Number.isFinite(first) ? new Date(first).toISOString() : "n/a";
}
