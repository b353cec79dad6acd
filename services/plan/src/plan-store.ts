import { createHash } from "node:crypto";
import type { JetStreamClient } from "@nats-io/jetstream";
import {
  encode,
  KnowledgeKeys,
  PatinoxError,
  Plan,
  type PlanChange,
  PlanEvent,
  type PlanStatus,
  type Subjects,
} from "@patinox/contracts";
import { type Knowledge, Unchanged } from "@patinox/knowledge";
import type { Logger } from "pino";

const MAX_HISTORY = 100;

/**
 * Plans in the knowledge bucket (`plans.<agent>.<planId>`), every write a compare-and-set,
 * and each write followed by its PlanEvent on `<prefix>.events.plan.<agent>`. The event's
 * `Nats-Msg-Id` is derived from the plan's state (plan, history length, status, time of the
 * write, event kind), so the
 * same transition published twice — by a retry, a restart or a second replica — is stored
 * once by the stream.
 */
export class PlanStore {
  readonly #knowledge: Knowledge;
  readonly #js: JetStreamClient;
  readonly #subjects: Subjects;
  readonly #logger: Logger;

  constructor(knowledge: Knowledge, js: JetStreamClient, subjects: Subjects, logger: Logger) {
    this.#knowledge = knowledge;
    this.#js = js;
    this.#subjects = subjects;
    this.#logger = logger;
  }

  /** Every readable plan (of one agent, or all), oldest first; unreadable ones are logged and skipped. */
  async list(agent?: string): Promise<Plan[]> {
    const keys = await this.#knowledge.keys(
      agent ? KnowledgeKeys.plansOf(agent) : KnowledgeKeys.allPlans,
    );
    const plans: Plan[] = [];
    for (const key of keys) {
      try {
        const entry = await this.#knowledge.get(key, Plan);
        if (entry) plans.push(entry.value);
      } catch (error) {
        this.#logger.warn(
          { key, code: (error as PatinoxError).code },
          "unreadable plan record skipped",
        );
      }
    }
    return plans.sort(
      (a, b) => a.createdAt.localeCompare(b.createdAt) || a.planId.localeCompare(b.planId),
    );
  }

  async get(agent: string, planId: string): Promise<Plan | undefined> {
    return (await this.#knowledge.get(KnowledgeKeys.plan(agent, planId), Plan))?.value;
  }

  /** Creates a plan; when another replica created it first, returns theirs with `created: false`. */
  async create(plan: Plan): Promise<{ plan: Plan; created: boolean }> {
    const key = KnowledgeKeys.plan(plan.agent, plan.planId);
    try {
      await this.#knowledge.create(key, Plan, plan);
    } catch (error) {
      if (!(error instanceof PatinoxError && error.code === "conflict")) throw error;
      const existing = await this.get(plan.agent, plan.planId);
      if (!existing) throw error;
      return { plan: existing, created: false };
    }
    await this.publish(plan, "created");
    return { plan, created: true };
  }

  /**
   * Moves a plan to `status` if it is still in one of `from` (compare-and-set: a replica that
   * moved it first wins and this returns `undefined`). `patch` adds fields (the PR reference,
   * the applied version).
   */
  async transition(
    plan: Plan,
    from: readonly PlanStatus[],
    status: PlanStatus,
    reason: string | undefined,
    now: Date,
    patch: Partial<Plan> = {},
  ): Promise<Plan | undefined> {
    const key = KnowledgeKeys.plan(plan.agent, plan.planId);
    let previous: PlanStatus | undefined;
    let moved = false;
    const entry = await this.#knowledge.update(key, Plan, (current): Plan | typeof Unchanged => {
      moved = false;
      if (!current || !from.includes(current.status)) return Unchanged;
      previous = current.status;
      moved = true;
      return withStatus({ ...current, ...patch }, status, reason, now);
    });
    if (!moved || !entry) return undefined;
    await this.publish(entry.value, "status_changed", previous);
    return entry.value;
  }

  /** Publishes a plan event; a failure is logged (the plan itself is already durable). */
  async publish(
    plan: Plan,
    event: PlanChange,
    previousStatus?: PlanStatus,
    salt = "",
  ): Promise<void> {
    const id = `plan-${createHash("sha256")
      .update(
        [
          plan.agent,
          plan.planId,
          plan.history.length,
          plan.status,
          plan.updatedAt,
          event,
          salt,
        ].join("\u0000"),
      )
      .digest("hex")
      .slice(0, 40)}`;
    const message = PlanEvent.parse({
      v: 1,
      id,
      at: plan.updatedAt,
      event,
      ...(previousStatus ? { previousStatus } : {}),
      plan,
    });
    try {
      await this.#js.publish(this.#subjects.events("plan", plan.agent), encode(message), {
        msgID: id,
      });
    } catch (error) {
      this.#logger.warn(
        { planId: plan.planId, event, err: String(error) },
        "plan event not published",
      );
    }
  }
}

/** The plan with a new status appended to its history (the oldest entries dropped past 100, the first kept). */
export function withStatus(
  plan: Plan,
  status: PlanStatus,
  reason: string | undefined,
  now: Date,
): Plan {
  const entry = {
    status,
    at: now.toISOString(),
    ...(reason ? { reason: reason.slice(0, 1000) } : {}),
  };
  let history = [...plan.history, entry];
  if (history.length > MAX_HISTORY)
    history = [history[0] as (typeof history)[number], ...history.slice(-(MAX_HISTORY - 1))];
  return { ...plan, status, history, updatedAt: entry.at };
}
