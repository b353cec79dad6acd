import { Evolution, Finding, KnowledgeKeys, MetricWindow, Plan } from "@patinox/contracts";
import type { Knowledge } from "@patinox/knowledge";

/** How often the watcher reads the bucket. */
const POLL_MS = 500;

/** What the watcher is told, and what it hands back at the end. */
export interface LoopWatcherOptions {
  readonly knowledge: Knowledge;
  readonly agent: string;
  readonly say: (line: string) => void;
}

/** What ends the demo: the plan and Analyze's verdict on it. */
export interface LoopOutcome {
  readonly plan: Plan;
  readonly evolution: Evolution;
}

/** What the demo does when the loop reaches a step that needs a person. */
export interface LoopHooks {
  /** A plan's branch is ready for review (the demo merges it). */
  readonly onProposed: (branch: string) => Promise<void>;
  /** The merged change is live. */
  readonly onApplied: () => void;
}

/**
 * Follows one agent's part of the knowledge bucket — metric windows, findings, plans, verdicts —
 * and narrates each step the first time it is seen. It reads the bucket the way `patinox kv`
 * does; it changes nothing in it.
 */
export class LoopWatcher {
  readonly #options: LoopWatcherOptions;
  readonly #seen = new Set<string>();
  #stopped = false;
  #last = "nothing yet";

  constructor(options: LoopWatcherOptions) {
    this.#options = options;
  }

  stop(): void {
    this.#stopped = true;
  }

  /** The furthest step reached, for a demo that gives up. */
  summary(): string {
    return this.#last;
  }

  /** Narrates until a verdict is recorded (returned) or {@link stop} is called (undefined). */
  async run(hooks: LoopHooks): Promise<LoopOutcome | undefined> {
    const { knowledge, agent } = this.#options;
    while (!this.#stopped) {
      await this.#windows();
      for (const key of await knowledge.keys(KnowledgeKeys.findingsOf(agent))) {
        const finding = (await knowledge.get(key, Finding))?.value;
        if (finding)
          this.#once(`finding ${finding.fingerprint} ${finding.status}`, describeFinding(finding));
      }
      for (const key of await knowledge.keys(KnowledgeKeys.plansOf(agent))) {
        const plan = (await knowledge.get(key, Plan))?.value;
        if (!plan) continue;
        for (const step of plan.history) {
          this.#once(`plan ${plan.planId} ${step.status}`, describePlanStep(plan, step));
        }
        if (plan.status === "pr-open" && plan.pr && this.#first(`merge ${plan.planId}`)) {
          await hooks.onProposed(plan.pr.branch);
        }
        if (plan.status === "applied" && this.#first(`applied ${plan.planId}`)) hooks.onApplied();
        const evolution = (
          await knowledge.get(KnowledgeKeys.evolution(agent, plan.planId), Evolution)
        )?.value;
        if (evolution && evolution.verdict !== "inconclusive") {
          this.#once(
            `verdict ${plan.planId}`,
            `Analyze: the change ${evolution.verdict.replace("_", " ")}`,
          );
          return { plan: await this.#settled(key, plan), evolution };
        }
        if (evolution)
          this.#once(
            `verdict ${plan.planId} pending`,
            `Analyze: measuring ${evolution.metric}, before (v${evolution.fromVersion}) against after (v${evolution.toVersion})`,
          );
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    return undefined;
  }

  async #windows(): Promise<void> {
    const { knowledge, agent } = this.#options;
    const keys = await knowledge.keys(KnowledgeKeys.metricsOf(agent));
    // Narrate each window once it is complete: a window ended a whole window ago has had its
    // late events folded in (Monitor writes in batches).
    for (const key of keys.sort()) {
      if (this.#seen.has(key)) continue;
      const window = (await knowledge.get(key, MetricWindow))?.value;
      if (!window || window.windowStart + 2 * window.windowMs > Date.now()) continue;
      const tool = window.tools.lookup_order;
      this.#once(
        key,
        `Monitor: window ${new Date(window.windowStart).toISOString().slice(11, 19)} — ${window.runs} runs, lookup_order ${tool?.calls ?? 0} calls, ${tool?.timeouts ?? 0} timeouts, versions ${Object.keys(window.versions).join("/") || "-"}`,
      );
    }
  }

  /** The plan once Plan has acted on the verdict (verified, regressed), or as it is after 10 s. */
  async #settled(key: string, plan: Plan): Promise<Plan> {
    const until = Date.now() + 10_000;
    let current = plan;
    while (current.status === "applied" && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      current = (await this.#options.knowledge.get(key, Plan))?.value ?? current;
    }
    const last = current.history.at(-1);
    if (last && current !== plan) this.#options.say(describePlanStep(current, last));
    return current;
  }

  #first(id: string): boolean {
    if (this.#seen.has(id)) return false;
    this.#seen.add(id);
    return true;
  }

  #once(id: string, line: string): void {
    if (!this.#first(id)) return;
    this.#last = line;
    this.#options.say(line);
  }
}

function describeFinding(finding: Finding): string {
  const what = finding.target ? `${finding.kind} on ${finding.target}` : finding.kind;
  if (finding.status === "resolved") return `Analyze: finding ${what} resolved`;
  return `Analyze: finding ${what} (${finding.severity}, confidence ${finding.confidence.toFixed(2)})`;
}

function describePlanStep(plan: Plan, step: Plan["history"][number]): string {
  const change = plan.change
    .map((c) => `${c.path}: ${JSON.stringify(c.from)} → ${JSON.stringify(c.to)}`)
    .join(", ");
  switch (step.status) {
    case "proposed":
      return `Plan: ${plan.kind} — ${change}`;
    case "pr-open":
      return `Plan: proposed on branch ${plan.pr?.branch ?? "?"}`;
    default:
      return `Plan: ${step.status}${step.reason ? ` (${step.reason})` : ""}`;
  }
}
