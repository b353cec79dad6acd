import { applyDefinition, parseDefinition } from "@patinox/agents";
import {
  type AgentDefinition,
  AgentDefinitionRecord,
  Evolution,
  Finding,
  type FindingEvent,
  KnowledgeKeys,
  PatinoxError,
  type Plan,
  PlanStatus,
} from "@patinox/contracts";
import type { Knowledge } from "@patinox/knowledge";
import {
  applyChangesToYaml,
  type ModelCandidate,
  type NoProposal,
  type Proposal as PlannedChange,
  planFinding,
  readDefinitionPath,
  revertChanges,
  unifiedDiff,
} from "@patinox/planners";
import { type ChangeSink, type Proposal, ProposalState } from "@patinox/pr-sinks";
import type { Logger } from "pino";
import { branchFor, planIdFor, revertBranchFor, revertPlanIdFor } from "./plan-ids.ts";
import type { PlanStore } from "./plan-store.ts";
import { renderBody, titleFor } from "./pr-body.ts";
import type { PrSlots } from "./pr-slots.ts";

/** What the controller needs from Plan's configuration. */
export interface ControllerOptions {
  /** Folder of the agent files in the repository. */
  readonly agentsPath: string;
  readonly labels: readonly string[];
  readonly traceUrl?: string;
  readonly applyOnMerge: boolean;
  readonly maxOpenPrs: number;
  readonly maxPrsPerHour: number;
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  readonly models: readonly ModelCandidate[];
  /**
   * Asked when no rule-based planner has a change for a finding (the LLM planner of
   * instructions); a refusal is reported once and asked again after `retryMaxMs`.
   */
  readonly fallbackPlanner?: (
    finding: Finding,
    definition: AgentDefinition,
  ) => Promise<PlannedChange | NoProposal>;
}

/** What the controller works with. */
export interface ControllerDeps {
  readonly knowledge: Knowledge;
  readonly store: PlanStore;
  /** Where proposals go; without one, plans stay `proposed`. */
  readonly sink: ChangeSink | undefined;
  /** Open-PR slots per agent and kind, claimed by compare-and-set (exact across replicas). */
  readonly slots?: PrSlots;
  readonly logger: Logger;
  readonly now?: () => Date;
}

/** Statuses a plan still has work in. */
const WORKING: ReadonlySet<PlanStatus> = new Set([
  PlanStatus.Proposed,
  PlanStatus.Failed,
  PlanStatus.PrOpen,
  PlanStatus.Merged,
  PlanStatus.Applied,
  PlanStatus.Regressed,
]);

/** Statuses that end a plan's life (a revert plan ends at `applied`). */
const ENDED: ReadonlySet<PlanStatus> = new Set([
  PlanStatus.Verified,
  PlanStatus.Reverted,
  PlanStatus.Closed,
]);

const CLOSED_BY_PERSON = "closed without merging";

/** What {@link PlanController} reads for a finding record that fails its schema. */
const UNREADABLE: unique symbol = Symbol("unreadable finding");

/** How recent a plan write must be for its event to be published again by a reconcile. */
const REPUBLISH_WINDOW_MS = 90_000;

/**
 * Plan's controller, level-triggered like a Kubernetes controller: whatever woke it (a finding
 * event, the reconcile timer, the pull request poll, a webhook), it reads the finding and its
 * plans from the knowledge bucket and moves them one step towards where they should be —
 * every open finding has exactly one working plan; a resolved finding's open pull request is
 * closed; a merged change is applied and then judged by Analyze's verdict; a regression gets
 * a revert plan. Every step is idempotent (the sink finds what an earlier attempt made; plan
 * writes are compare-and-set), so a crash at any point, a redelivered event or a second
 * replica only repeats work, never doubles it. Work on one finding is serialised in-process.
 */
export class PlanController {
  readonly #deps: ControllerDeps;
  readonly #options: ControllerOptions;
  readonly #now: () => Date;
  readonly #locks = new Map<string, Promise<unknown>>();
  /** Findings already reported as unplannable, so the reconcile timer does not repeat it. */
  readonly #reported = new Set<string>();
  /** What each open PR's body last showed of its finding (see {@link evidenceDigest}). */
  readonly #bodyDigests = new Map<string, string>();
  /** When the fallback (LLM) planner was last asked about a finding, to keep its cost bounded. */
  readonly #fallbackAsked = new Map<string, number>();

  constructor(deps: ControllerDeps, options: ControllerOptions) {
    this.#deps = deps;
    this.#options = options;
    this.#now = deps.now ?? (() => new Date());
  }

  /** Reacts to a finding event (the event is a hint; the bucket is the truth). */
  async onFindingEvent(event: FindingEvent): Promise<void> {
    await this.reconcileFinding(event.finding.agent, event.finding.fingerprint, event);
  }

  /** Every finding and every plan with work left, one step each. */
  async reconcileAll(): Promise<void> {
    await this.#guard(() => this.#republishRecent());
    const keys = await this.#deps.knowledge.keys(KnowledgeKeys.allFindings);
    for (const key of keys) {
      const [, agent, fingerprint] = key.split(".");
      if (agent && fingerprint) await this.#guard(() => this.reconcileFinding(agent, fingerprint));
    }
    await this.pollPlans();
  }

  /**
   * Publishes again the last event of every plan written in the last {@link REPUBLISH_WINDOW_MS}:
   * a crash between a plan write and its event would otherwise lose the event. The event's
   * `Nats-Msg-Id` is the same as the first time, so the stream keeps one (its duplicate window
   * is 2 minutes, longer than this window).
   */
  async #republishRecent(): Promise<void> {
    const since = this.#now().getTime() - REPUBLISH_WINDOW_MS;
    for (const plan of await this.#deps.store.list()) {
      if (Date.parse(plan.updatedAt) < since) continue;
      const previous = plan.history[plan.history.length - 2]?.status;
      if (previous === undefined) await this.#deps.store.publish(plan, "created");
      else await this.#deps.store.publish(plan, "status_changed", previous);
    }
  }

  /** Every plan with work left (pull requests open, merges to apply, verdicts to read, retries due). */
  async pollPlans(): Promise<void> {
    for (const plan of await this.#deps.store.list()) {
      if (WORKING.has(plan.status))
        await this.#guard(() => this.#locked(plan, () => this.#drive(plan)));
    }
  }

  /** A pull request changed on GitHub (webhook): its plan takes its next step now. */
  async onBranchEvent(branch: string): Promise<void> {
    for (const plan of await this.#deps.store.list()) {
      if (plan.pr?.branch === branch) await this.#locked(plan, () => this.#drive(plan));
    }
  }

  /** One finding: make sure it has exactly one working plan, or none once resolved. */
  async reconcileFinding(agent: string, fingerprint: string, event?: FindingEvent): Promise<void> {
    await this.#lock(`${agent}/${fingerprint}`, async () => {
      const stored = await this.#readFinding(agent, fingerprint);
      if (stored === UNREADABLE && !event) return; // nothing trustworthy to act on
      const finding = stored === UNREADABLE ? event?.finding : (stored ?? event?.finding);
      if (finding?.dryRun) return;
      const plans = (await this.#deps.store.list(agent)).filter(
        (p) => p.findingFingerprint === fingerprint,
      );
      const own = plans.filter((p) => !p.revertOf);
      const working = own.filter((p) => WORKING.has(p.status));
      for (const plan of plans.filter((p) => WORKING.has(p.status)))
        await this.#drive(plan, finding);
      if (working.length > 0 || finding?.status !== "open") return;
      const last = own[own.length - 1];
      if (last && !this.#unblocked(last, finding, event)) return;
      await this.#createPlan(finding, own.length + 1);
    });
  }

  /**
   * Whether a finding whose last plan ended may get a new one: only when the finding changed
   * materially (a `changed` or `opened` event) or opened anew after that plan ended. This is
   * how a pull request closed by a person mutes its finding until the evidence changes.
   */
  #unblocked(last: Plan, finding: Finding, event: FindingEvent | undefined): boolean {
    if (!ENDED.has(last.status)) return false;
    if (Date.parse(finding.firstSeen) > Date.parse(last.updatedAt)) return true;
    return (
      event !== undefined &&
      event.event !== "resolved" &&
      Date.parse(event.at) > Date.parse(last.updatedAt)
    );
  }

  async #createPlan(finding: Finding, generation: number): Promise<void> {
    const record = await this.#deps.knowledge.get(
      KnowledgeKeys.agentConfig(finding.agent),
      AgentDefinitionRecord,
    );
    if (!record) {
      this.#reportOnce(finding, `agent ${finding.agent} has no live definition to plan against`);
      return;
    }
    let outcome: PlannedChange | NoProposal = planFinding(finding, record.value.definition, {
      models: this.#options.models,
    });
    if (outcome.kind === "none" && this.#options.fallbackPlanner) {
      const key = `${finding.agent}/${finding.fingerprint}`;
      const askedAt = this.#fallbackAsked.get(key);
      if (askedAt !== undefined && this.#now().getTime() - askedAt < this.#options.retryMaxMs)
        return;
      this.#fallbackAsked.set(key, this.#now().getTime());
      const fallback = await this.#options.fallbackPlanner(finding, record.value.definition);
      outcome =
        fallback.kind === "proposal"
          ? { ...fallback, dropped: [...outcome.dropped, ...fallback.dropped] }
          : { ...fallback, dropped: [...outcome.dropped, ...fallback.dropped] };
    }
    if (outcome.kind === "none") {
      this.#reportOnce(finding, outcome.reason, outcome.dropped);
      return;
    }
    const now = this.#now().toISOString();
    const plan: Plan = {
      v: 1,
      planId: planIdFor(finding.fingerprint, generation),
      agent: finding.agent,
      findingFingerprint: finding.fingerprint,
      findingKind: finding.kind,
      kind: outcome.planner,
      change: [...outcome.change],
      dropped: [...outcome.dropped],
      rationale: outcome.rationale,
      baseVersion: record.value.version,
      status: PlanStatus.Proposed,
      history: [{ status: PlanStatus.Proposed, at: now }],
      pr: {
        sink: this.#deps.sink?.kind ?? "git",
        branch: branchFor(finding.agent, finding.kind, finding.fingerprint, generation),
      },
      createdAt: now,
      updatedAt: now,
    };
    const { plan: stored, created } = await this.#deps.store.create(plan);
    if (created)
      this.#deps.logger.info(
        { planId: plan.planId, agent: plan.agent, change: plan.change },
        "plan proposed",
      );
    await this.#drive(stored, finding);
  }

  /** One step of a plan; `finding` when the caller already read it. */
  async #drive(plan: Plan, known?: Finding): Promise<void> {
    const read = known ?? (await this.#readFinding(plan.agent, plan.findingFingerprint));
    // An unreadable finding is neither open nor resolved: touch nothing that depends on it.
    const dependsOnFinding =
      !plan.revertOf &&
      (plan.status === PlanStatus.Proposed ||
        plan.status === PlanStatus.Failed ||
        plan.status === PlanStatus.PrOpen);
    if (read === UNREADABLE && dependsOnFinding) return;
    const finding = read === UNREADABLE ? undefined : read;
    switch (plan.status) {
      case PlanStatus.Proposed:
      case PlanStatus.Failed:
        return await this.#propose(plan, finding);
      case PlanStatus.PrOpen:
        return await this.#track(plan, finding);
      case PlanStatus.Merged:
        return await this.#apply(plan);
      case PlanStatus.Applied:
        return await this.#verify(plan);
      case PlanStatus.Regressed:
        return await this.#revert(plan);
      default:
        return;
    }
  }

  async #propose(plan: Plan, finding: Finding | undefined): Promise<void> {
    const sink = this.#deps.sink;
    const resolved = !plan.revertOf && finding?.status !== "open";
    const branch = plan.pr?.branch;
    if (!sink || !branch) {
      if (resolved)
        await this.#move(plan, [plan.status], PlanStatus.Closed, "the finding resolved");
      return;
    }
    if (plan.status === PlanStatus.Failed && this.#now().getTime() < retryAt(plan, this.#options))
      return;
    try {
      let proposal = await sink.find(branch);
      if (!proposal && resolved) {
        await this.#move(
          plan,
          [plan.status],
          PlanStatus.Closed,
          "the finding resolved before a pull request was opened",
        );
        return;
      }
      if (!proposal && !plan.revertOf) {
        const limit = await this.#overLimit(plan);
        if (limit) {
          this.#reportOnce(finding, limit);
          return;
        }
        // The open-PR slot is claimed by compare-and-set before the pull request exists, so
        // replicas cannot both pass the limit; a restarted Plan finds its own claim.
        const kind = plan.findingKind ?? plan.kind;
        const slots = this.#deps.slots;
        const claimed = slots
          ? await slots.claim(
              plan.agent,
              kind,
              plan.planId,
              this.#options.maxOpenPrs,
              async (id) => {
                return (await this.#deps.store.get(plan.agent, id))?.status;
              },
            )
          : true;
        if (!claimed) {
          this.#reportOnce(
            finding,
            `${this.#options.maxOpenPrs} pull requests for ${kind} are open for ${plan.agent} (the limit)`,
          );
          return;
        }
        proposal = await sink.propose(await this.#request(plan, finding, branch));
      } else if (!proposal) {
        proposal = await sink.propose(await this.#request(plan, finding, branch));
      } else if (proposal.state === ProposalState.Open) {
        // Found after a crash or by another replica: propose again finishes what may be
        // missing (labels), and makes nothing twice.
        proposal = await sink.propose(await this.#request(plan, finding, branch));
      }
      await this.#adopt(plan, proposal);
    } catch (error) {
      await this.#fail(plan, error);
    }
  }

  /** Records what the sink has for the plan's branch. */
  async #adopt(plan: Plan, proposal: Proposal): Promise<void> {
    const from = [PlanStatus.Proposed, PlanStatus.Failed, PlanStatus.PrOpen];
    const pr = { ...proposal.ref };
    switch (proposal.state) {
      case ProposalState.Open:
        if (plan.status !== PlanStatus.PrOpen) {
          const moved = await this.#move(plan, from, PlanStatus.PrOpen, pr.url ?? pr.branch, {
            pr,
          });
          if (moved)
            this.#deps.logger.info(
              { planId: plan.planId, pr: pr.url ?? pr.branch },
              "pull request open",
            );
        }
        return;
      case ProposalState.Merged: {
        const moved = await this.#move(
          plan,
          from,
          PlanStatus.Merged,
          proposal.mergeCommit ? `merged as ${proposal.mergeCommit}` : "merged",
          { pr },
        );
        if (moved) await this.#apply(moved);
        return;
      }
      default:
        await this.#move(plan, from, PlanStatus.Closed, CLOSED_BY_PERSON, { pr });
    }
  }

  async #track(plan: Plan, finding: Finding | undefined): Promise<void> {
    const sink = this.#deps.sink;
    const ref = plan.pr;
    if (!sink || !ref) return;
    try {
      const proposal = await sink.find(ref.branch);
      if (!proposal) {
        await this.#move(plan, [PlanStatus.PrOpen], PlanStatus.Closed, "the pull request is gone");
        return;
      }
      if (proposal.state !== ProposalState.Open) {
        await this.#adopt(plan, proposal);
        return;
      }
      if (!plan.revertOf && finding?.status !== "open") {
        await sink.close(
          proposal.ref,
          `Patinox: finding \`${plan.findingFingerprint}\` resolved before this change was merged, so it is no longer needed. Closing.`,
        );
        await this.#move(
          plan,
          [PlanStatus.PrOpen],
          PlanStatus.Closed,
          "the finding resolved before merge",
        );
        return;
      }
      // The body is rebuilt (two more GitHub calls) only when what it shows of the finding
      // changed since this process last wrote it: polling many PRs stays within rate limits.
      const digest = evidenceDigest(finding);
      if (this.#bodyDigests.get(plan.planId) !== digest) {
        const request = await this.#request(plan, finding, ref.branch);
        if (await sink.updateBody(proposal.ref, request.body)) {
          await this.#deps.store.publish(plan, "updated", undefined, request.body);
        }
        this.#bodyDigests.set(plan.planId, digest);
      }
    } catch (error) {
      // Polling failures are transient for an open pull request: logged, tried next poll.
      this.#deps.logger.warn(
        { planId: plan.planId, code: codeOf(error), reason: messageOf(error) },
        "pull request poll failed",
      );
    }
  }

  /** A merged plan becomes `applied` once its change is live: applied by Plan itself, or seen live. */
  async #apply(plan: Plan): Promise<void> {
    const path = this.#path(plan.agent);
    try {
      if (this.#options.applyOnMerge && this.#deps.sink) {
        const text = await this.#deps.sink.readBase(path);
        if (text === undefined)
          throw new PatinoxError("not_found", `${path} is not on the base branch`);
        const parsed = parseDefinition(text, path);
        if (!parsed.ok)
          throw new PatinoxError(
            "config_invalid",
            `${path} on the base branch is not a valid definition`,
          );
        const applied = await applyDefinition(this.#deps.knowledge, parsed.value.definition, {
          appliedBy: "plan:applyOnMerge",
          reason: `plan ${plan.planId} merged`,
          sourceHash: parsed.value.sourceHash,
          source: (plan.pr?.url ?? `${path}@${plan.pr?.branch ?? ""}`).slice(0, 500),
        });
        await this.#applied(plan, applied.version);
        return;
      }
      const record = await this.#deps.knowledge.get(
        KnowledgeKeys.agentConfig(plan.agent),
        AgentDefinitionRecord,
      );
      if (!record || record.value.version <= plan.baseVersion) return;
      const live = plan.change.every((c) => {
        const now = readDefinitionPath(record.value.definition, c.path);
        return JSON.stringify(now ?? null) === JSON.stringify(c.to ?? null);
      });
      if (live) await this.#applied(plan, record.value.version);
    } catch (error) {
      this.#deps.logger.warn(
        { planId: plan.planId, code: codeOf(error), reason: messageOf(error) },
        "merged plan not applied yet",
      );
    }
  }

  async #applied(plan: Plan, version: number): Promise<void> {
    const moved = await this.#move(
      plan,
      [PlanStatus.Merged],
      PlanStatus.Applied,
      `live as version ${version}`,
      {
        appliedVersion: version,
      },
    );
    if (moved?.revertOf) {
      const original = await this.#deps.store.get(plan.agent, moved.revertOf);
      if (original) {
        await this.#move(
          original,
          [PlanStatus.Regressed],
          PlanStatus.Reverted,
          `reverted by ${moved.planId} (version ${version})`,
        );
      }
    }
  }

  async #verify(plan: Plan): Promise<void> {
    if (plan.revertOf) return; // a revert is done once live
    const verdict = await this.#deps.knowledge.get(
      KnowledgeKeys.evolution(plan.agent, plan.planId),
      Evolution,
    );
    // Inconclusive is "not yet": Analyze refreshes it while the plan is `applied`; moving on
    // now would stop that and leave the change unmeasured.
    if (!verdict || verdict.value.verdict === "inconclusive") return;
    const e = verdict.value;
    const numbers = `${e.metric} ${e.before.value} → ${e.after.value}${e.pValue === undefined ? "" : ` (p=${e.pValue})`}`;
    if (e.verdict === "regressed") {
      const moved = await this.#move(
        plan,
        [PlanStatus.Applied],
        PlanStatus.Regressed,
        `regressed: ${numbers}`,
      );
      if (moved) await this.#revert(moved);
    } else {
      await this.#move(plan, [PlanStatus.Applied], PlanStatus.Verified, `${e.verdict}: ${numbers}`);
    }
  }

  /** A regressed plan gets one revert plan (its id derives from the plan's, so one per plan). */
  async #revert(plan: Plan): Promise<void> {
    const revertId = revertPlanIdFor(plan.planId);
    const existing = await this.#deps.store.get(plan.agent, revertId);
    if (existing) {
      if (WORKING.has(existing.status) && existing.status !== PlanStatus.Applied)
        await this.#drive(existing);
      return;
    }
    const record = await this.#deps.knowledge.get(
      KnowledgeKeys.agentConfig(plan.agent),
      AgentDefinitionRecord,
    );
    if (!record) return;
    // Only the fields still as the plan left them: a later change by someone else is kept.
    const undo = revertChanges(
      plan.change.filter(
        (c) =>
          JSON.stringify(readDefinitionPath(record.value.definition, c.path) ?? null) ===
          JSON.stringify(c.to),
      ),
      record.value.definition,
    );
    if (undo.length === 0) {
      await this.#move(
        plan,
        [PlanStatus.Regressed],
        PlanStatus.Reverted,
        "the change is no longer live",
      );
      return;
    }
    const now = this.#now().toISOString();
    const revert: Plan = {
      v: 1,
      planId: revertId,
      agent: plan.agent,
      findingFingerprint: plan.findingFingerprint,
      ...(plan.findingKind ? { findingKind: plan.findingKind } : {}),
      kind: "revert",
      change: undo,
      dropped: [],
      rationale: `Plan ${plan.planId} made things worse once live (${plan.history[plan.history.length - 1]?.reason ?? "regressed"}); this puts the fields back as they were.`,
      baseVersion: record.value.version,
      status: PlanStatus.Proposed,
      history: [{ status: PlanStatus.Proposed, at: now, reason: `revert of ${plan.planId}` }],
      pr: {
        sink: this.#deps.sink?.kind ?? "git",
        branch: revertBranchFor(plan.agent, plan.planId),
      },
      revertOf: plan.planId,
      createdAt: now,
      updatedAt: now,
    };
    const { plan: stored } = await this.#deps.store.create(revert);
    this.#deps.logger.warn(
      { planId: plan.planId, revert: stored.planId },
      "regression: revert plan proposed",
    );
    await this.#drive(stored);
  }

  /** The change request for a plan: edit, title, body with the diff against the base as it is. */
  async #request(plan: Plan, finding: Finding | undefined, branch: string) {
    const path = this.#path(plan.agent);
    const base = await this.#deps.sink?.readBase(path);
    if (base === undefined)
      throw new PatinoxError("not_found", `${path} is not on the base branch`);
    const fileName = `${plan.agent}.yaml`;
    const edited = applyChangesToYaml(base, fileName, plan.change);
    const diff = edited.ok
      ? unifiedDiff(path, base, edited.value.text)
      : "(the change no longer applies)";
    const original = plan.revertOf
      ? await this.#deps.store.get(plan.agent, plan.revertOf)
      : undefined;
    const body = renderBody({
      plan,
      ...(finding ? { finding } : {}),
      path,
      diff,
      ...(this.#options.traceUrl ? { traceUrl: this.#options.traceUrl } : {}),
      ...(original?.pr?.url ? { revertOfUrl: original.pr.url } : {}),
    });
    return {
      branch,
      path,
      title: titleFor(plan, finding),
      body,
      labels: [
        ...this.#options.labels,
        `agent:${plan.agent}`,
        plan.revertOf ? "revert" : `finding:${plan.findingKind ?? plan.kind}`,
      ],
      commitMessage: `${titleFor(plan, finding)}\n\nPatinox plan ${plan.planId}`,
      edit: (text: string) => {
        const result = applyChangesToYaml(text, fileName, plan.change);
        return result.ok ? { ok: true as const, value: result.value.text } : result;
      },
    };
  }

  /** Why a new pull request must wait, or undefined. Counted per finding kind. */
  async #overLimit(plan: Plan): Promise<string | undefined> {
    const all = await this.#deps.store.list();
    const kind = plan.findingKind ?? plan.kind;
    const sameKind = all.filter(
      (p) => (p.findingKind ?? p.kind) === kind && p.planId !== plan.planId && !p.revertOf,
    );
    const open = sameKind.filter(
      (p) => p.agent === plan.agent && p.status === PlanStatus.PrOpen,
    ).length;
    if (open >= this.#options.maxOpenPrs) {
      return `${open} pull requests for ${kind} are open for ${plan.agent} (limit ${this.#options.maxOpenPrs})`;
    }
    const hourAgo = this.#now().getTime() - 3_600_000;
    const lastHour = sameKind.filter((p) =>
      p.history.some((h) => h.status === PlanStatus.PrOpen && Date.parse(h.at) >= hourAgo),
    ).length;
    if (lastHour >= this.#options.maxPrsPerHour) {
      return `${lastHour} pull requests for ${kind} were opened in the last hour (limit ${this.#options.maxPrsPerHour})`;
    }
    return undefined;
  }

  async #fail(plan: Plan, error: unknown): Promise<void> {
    const code = codeOf(error);
    const attempts = trailingFailures(plan) + 1;
    const backoff = Math.min(
      this.#options.retryMaxMs,
      this.#options.retryBaseMs * 2 ** (attempts - 1),
    );
    const wait = Math.max(backoff, error instanceof PatinoxError ? (error.retryAfterMs ?? 0) : 0);
    const retry = new Date(this.#now().getTime() + wait).toISOString();
    const reason = `${code}: ${messageOf(error)}; retry at ${retry}`;
    this.#deps.logger.warn(
      { planId: plan.planId, code, attempts, retryAt: retry, reason: messageOf(error) },
      "plan failed",
    );
    await this.#move(plan, [PlanStatus.Proposed, PlanStatus.Failed], PlanStatus.Failed, reason);
  }

  async #move(
    plan: Plan,
    from: readonly PlanStatus[],
    status: PlanStatus,
    reason: string | undefined,
    patch: Partial<Plan> = {},
  ): Promise<Plan | undefined> {
    return await this.#deps.store.transition(plan, from, status, reason, this.#now(), patch);
  }

  /**
   * The finding as stored (`undefined` when absent). A record that fails its schema is logged
   * and reported as {@link UNREADABLE}, never retried forever and never taken for "resolved".
   */
  async #readFinding(
    agent: string,
    fingerprint: string,
  ): Promise<Finding | undefined | typeof UNREADABLE> {
    const key = KnowledgeKeys.finding(agent, fingerprint);
    try {
      return (await this.#deps.knowledge.get(key, Finding))?.value;
    } catch (error) {
      if (!(error instanceof PatinoxError && error.code === "record_invalid")) throw error;
      this.#deps.logger.warn({ key, code: error.code }, "finding record unreadable");
      return UNREADABLE;
    }
  }

  #path(agent: string): string {
    return this.#options.agentsPath ? `${this.#options.agentsPath}/${agent}.yaml` : `${agent}.yaml`;
  }

  #reportOnce(
    finding: Finding | undefined,
    reason: string,
    dropped: readonly unknown[] = [],
  ): void {
    if (!finding) return;
    const key = `${finding.agent}/${finding.fingerprint}/${reason}`;
    if (this.#reported.has(key)) return;
    this.#reported.add(key);
    this.#deps.logger.info(
      { agent: finding.agent, fingerprint: finding.fingerprint, reason, dropped },
      "no plan for finding now",
    );
  }

  async #locked(plan: Plan, work: () => Promise<void>): Promise<void> {
    await this.#lock(`${plan.agent}/${plan.findingFingerprint}`, async () => {
      // Re-read under the lock: the plan may have moved while waiting.
      const fresh = await this.#deps.store.get(plan.agent, plan.planId);
      if (fresh && fresh.status === plan.status && fresh.updatedAt === plan.updatedAt) await work();
      else if (fresh && WORKING.has(fresh.status)) await this.#drive(fresh);
    });
  }

  async #lock<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.#locks.get(key) ?? Promise.resolve();
    const next = previous.then(work, work);
    const settled = next.catch(() => {});
    this.#locks.set(key, settled);
    try {
      return await next;
    } finally {
      if (this.#locks.get(key) === settled) this.#locks.delete(key);
    }
  }

  async #guard(work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (error) {
      this.#deps.logger.warn(
        { code: codeOf(error), reason: messageOf(error) },
        "reconcile step failed",
      );
    }
  }
}

/** When a failed plan may be tried again: the `retry at` its last failure recorded. */
export function retryAt(plan: Plan, options: Pick<ControllerOptions, "retryBaseMs">): number {
  const last = plan.history[plan.history.length - 1];
  const recorded = /retry at (\S+)$/.exec(last?.reason ?? "")?.[1];
  const at = recorded ? Date.parse(recorded) : Number.NaN;
  return Number.isFinite(at) ? at : Date.parse(last?.at ?? plan.updatedAt) + options.retryBaseMs;
}

/** What a PR body shows of a finding: a change here means the body is rewritten. */
function evidenceDigest(finding: Finding | undefined): string {
  if (!finding) return "";
  return JSON.stringify([
    finding.status,
    finding.severity,
    finding.confidence,
    finding.evidence,
    finding.sampleTraceIds,
  ]);
}

function trailingFailures(plan: Plan): number {
  let n = 0;
  for (
    let i = plan.history.length - 1;
    i >= 0 && plan.history[i]?.status === PlanStatus.Failed;
    i--
  )
    n++;
  return n;
}

function codeOf(error: unknown): string {
  return error instanceof PatinoxError ? error.code : "internal";
}

/** An error's message for the plan's history and logs; unknown errors keep only their class. */
function messageOf(error: unknown): string {
  if (error instanceof PatinoxError) return error.message.slice(0, 600);
  return error instanceof Error ? `${error.name}: ${error.message.slice(0, 300)}` : "unknown error";
}
