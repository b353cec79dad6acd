import type { Evolution, Finding, Plan } from "@patinox/contracts";
import { renderTable } from "../output.ts";

/** Plans as a table, one line each. */
export function renderPlansTable(plans: readonly Plan[], now: number): string {
  if (plans.length === 0) return "no plans\n";
  const rows = plans.map((p) => [
    p.planId,
    p.agent,
    p.revertOf ? `revert of ${p.revertOf}` : (p.findingKind ?? p.kind),
    p.status,
    changeSummary(p),
    prLabel(p),
    age(now, p.updatedAt),
  ]);
  return `${renderTable(["PLAN", "AGENT", "FOR", "STATUS", "CHANGE", "PULL REQUEST", "UPDATED"], rows)}\n`;
}

/** One plan in full: finding, change, pull request, status history and verdict. */
export function renderPlanDetail(
  plan: Plan,
  finding: Finding | undefined,
  verdict: Evolution | undefined,
): string {
  const lines: string[] = [];
  lines.push(`plan ${plan.planId} (agent ${plan.agent}, planner ${plan.kind})`);
  lines.push(`status: ${plan.status}`);
  if (plan.revertOf) lines.push(`reverts: ${plan.revertOf}`);
  lines.push(
    `finding: ${plan.findingFingerprint}${plan.findingKind ? ` (${plan.findingKind})` : ""}${
      finding
        ? ` — ${finding.status}, ${finding.severity}, confidence ${finding.confidence.toFixed(3)}`
        : " — no longer in the bucket"
    }`,
  );
  if (finding) {
    const numbers = Object.entries(finding.evidence.numbers)
      .map(([k, v]) => `${k}=${v}`)
      .join(", ");
    if (numbers) lines.push(`evidence: ${numbers}`);
  }
  lines.push("change:");
  for (const c of plan.change) {
    lines.push(
      `  ${c.path}: ${c.from === undefined ? "(unset)" : JSON.stringify(c.from)} → ${JSON.stringify(c.to)}`,
    );
  }
  for (const d of plan.dropped) lines.push(`  dropped ${d.path}: ${d.reason}`);
  lines.push(
    `base version: ${plan.baseVersion}${plan.appliedVersion ? `, applied as version ${plan.appliedVersion}` : ""}`,
  );
  lines.push(
    `pull request: ${prLabel(plan)}${plan.pr?.branch ? ` (branch ${plan.pr.branch})` : ""}`,
  );
  lines.push("rationale:");
  for (const line of plan.rationale.split("\n")) lines.push(`  ${line}`);
  lines.push("history:");
  for (const h of plan.history)
    lines.push(`  ${h.at}  ${h.status}${h.reason ? `  ${h.reason}` : ""}`);
  lines.push(
    verdict
      ? `verdict: ${verdict.verdict} — ${verdict.metric} ${verdict.before.value} → ${verdict.after.value} (versions ${verdict.fromVersion} → ${verdict.toVersion}${verdict.pValue === undefined ? "" : `, p=${verdict.pValue}`})`
      : "verdict: none yet",
  );
  return `${lines.join("\n")}\n`;
}

function changeSummary(plan: Plan): string {
  const text = plan.change.map((c) => `${c.path}=${JSON.stringify(c.to)}`).join(", ");
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function prLabel(plan: Plan): string {
  if (!plan.pr) return "-";
  if (plan.pr.url) return plan.pr.url;
  if (plan.pr.number !== undefined) return `#${plan.pr.number}`;
  return plan.status === "proposed" || plan.status === "failed" ? "-" : `git:${plan.pr.branch}`;
}

function age(now: number, at: string): string {
  const s = Math.max(0, Math.round((now - Date.parse(at)) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.round(s / 60)}m ago`;
  if (s < 86_400) return `${Math.round(s / 3600)}h ago`;
  return `${Math.round(s / 86_400)}d ago`;
}
