import { createHash } from "node:crypto";
import { KnowledgeKeys, NameToken, type PlanStatus, Timestamp } from "@patinox/contracts";
import { type Knowledge, Unchanged } from "@patinox/knowledge";
import { z } from "zod";

/** The plans holding the open-PR slots of one agent and finding kind. */
const SlotsRecord = z.object({
  v: z.literal(1),
  service: z.literal("plan"),
  shard: NameToken,
  claims: z.array(z.object({ planId: NameToken, at: Timestamp })).max(1000),
});
type SlotsRecord = z.output<typeof SlotsRecord>;

/** Statuses in which a plan holds (or is about to use) an open-PR slot. */
const HOLDING: ReadonlySet<PlanStatus> = new Set(["proposed", "failed", "pr-open"]);

/**
 * The open-PR limit per agent and finding kind, exact across replicas and crash-safe: a plan
 * claims a slot in `leases.plan.pr-<agent>-<kind>` by compare-and-set before its pull request
 * is opened. A claim stays with its plan, so a Plan restarted after `kill -9` finds its own
 * claim and goes on (nothing to expire, nobody blocked); a slot frees itself once its plan
 * leaves `proposed`/`failed`/`pr-open` (merged, closed…), checked when the next plan claims.
 */
export class PrSlots {
  readonly #knowledge: Knowledge;
  readonly #now: () => Date;

  constructor(knowledge: Knowledge, now: () => Date = () => new Date()) {
    this.#knowledge = knowledge;
    this.#now = now;
  }

  /**
   * Claims a slot for `planId`; `true` when it holds one (now or from before), `false` when
   * `max` other plans hold them. `statusOf` reads a plan's current status (undefined: gone).
   */
  async claim(
    agent: string,
    kind: string,
    planId: string,
    max: number,
    statusOf: (planId: string) => Promise<PlanStatus | undefined>,
  ): Promise<boolean> {
    const shard = shardOf(agent, kind);
    const key = KnowledgeKeys.lease("plan", shard);
    const before = (await this.#knowledge.get(key, SlotsRecord))?.value;
    if (before?.claims.some((c) => c.planId === planId)) return true;
    // Which claims are over: read outside the compare-and-set (its function must be pure);
    // a claim that appears in between is counted as live.
    const over = new Set<string>();
    for (const claim of before?.claims ?? []) {
      const status = await statusOf(claim.planId);
      if (status === undefined || !HOLDING.has(status)) over.add(claim.planId);
    }
    const at = this.#now().toISOString();
    let held = false;
    await this.#knowledge.update(key, SlotsRecord, (current): SlotsRecord | typeof Unchanged => {
      const claims = current?.claims ?? [];
      if (claims.some((c) => c.planId === planId)) {
        held = true;
        return Unchanged;
      }
      const live = claims.filter((c) => !over.has(c.planId));
      held = live.length < max;
      if (!held) return Unchanged;
      return { v: 1, service: "plan", shard, claims: [...live, { planId, at }] };
    });
    return held;
  }
}

function shardOf(agent: string, kind: string): string {
  const shard = `pr-${agent}-${kind}`;
  if (shard.length <= 64) return shard;
  return `pr-${createHash("sha256").update(`${agent}\u0000${kind}`).digest("hex").slice(0, 40)}`;
}
