import {
  Evolution,
  Finding,
  KnowledgeKeys,
  MetricWindow,
  Plan,
  PlanStatus,
} from "@patinox/contracts";
import { type EvolutionSettings, evolutionVerdict } from "@patinox/detectors";
import { type Knowledge, Unchanged } from "@patinox/knowledge";
import type { Logger } from "@patinox/runtime";

/**
 * Measures applied plans: for every plan in status `applied` it compares the finding's metric
 * over the windows before the change against the windows after it, and writes the verdict to
 * `evolution.<agent>.<planId>` (compare-and-set). An `inconclusive` record is rewritten as
 * data arrives; a conclusive verdict (improved, no change, regressed) is final and never
 * rewritten, so Plan can act on it once.
 */
export class EvolutionJudge {
  readonly #knowledge: Knowledge;
  readonly #settings: EvolutionSettings;
  readonly #logger: Logger;
  readonly #now: () => number;

  constructor(options: {
    knowledge: Knowledge;
    settings: EvolutionSettings;
    logger: Logger;
    now?: () => number;
  }) {
    this.#knowledge = options.knowledge;
    this.#settings = options.settings;
    this.#logger = options.logger;
    this.#now = options.now ?? Date.now;
  }

  /** Judges every applied plan; returns how many evolution records were written. */
  async judgeAll(): Promise<number> {
    let written = 0;
    for (const key of await this.#knowledge.keys(KnowledgeKeys.allPlans)) {
      let plan: Plan | undefined;
      try {
        plan = (await this.#knowledge.get(key, Plan))?.value;
      } catch (error) {
        this.#logger.error({ key, err: error }, "skipping a plan record that fails its schema");
        continue;
      }
      if (plan?.status !== PlanStatus.Applied || plan.appliedVersion === undefined) continue;
      if (plan.findingKind === undefined) continue;
      if (await this.judge(plan)) written++;
    }
    return written;
  }

  /** Judges one applied plan; true when it wrote the evolution record. */
  async judge(plan: Plan): Promise<boolean> {
    if (plan.appliedVersion === undefined || plan.findingKind === undefined) return false;
    const appliedAt = Date.parse(
      plan.history.findLast((h) => h.status === PlanStatus.Applied)?.at ?? plan.updatedAt,
    );
    const finding = await this.#finding(plan);
    const windows = await this.#windowsAround(plan.agent, appliedAt);
    const result = evolutionVerdict(
      {
        kind: plan.findingKind,
        ...(finding?.target === undefined ? {} : { target: finding.target }),
        fromVersion: plan.baseVersion,
        toVersion: plan.appliedVersion,
        appliedAt,
        windows,
      },
      this.#settings,
    );
    const record: Evolution = {
      v: 1,
      planId: plan.planId,
      agent: plan.agent,
      metric: result.metric,
      fromVersion: plan.baseVersion,
      toVersion: plan.appliedVersion,
      before: { ...result.before, windows: [...result.before.windows] },
      after: { ...result.after, windows: [...result.after.windows] },
      verdict: result.verdict,
      ...(result.effect === undefined || !Number.isFinite(result.effect)
        ? {}
        : { effect: result.effect }),
      ...(result.pValue === undefined ? {} : { pValue: result.pValue }),
      at: new Date(this.#now()).toISOString(),
    };
    let written = false;
    await this.#knowledge.update(
      KnowledgeKeys.evolution(plan.agent, plan.planId),
      Evolution,
      (current): Evolution | typeof Unchanged => {
        written = false;
        if (current !== undefined && current.verdict !== "inconclusive") return Unchanged;
        if (current !== undefined && sameMeasurement(current, record)) return Unchanged;
        written = true;
        return record;
      },
    );
    if (written) {
      this.#logger.info(
        {
          agent: plan.agent,
          planId: plan.planId,
          verdict: record.verdict,
          metric: record.metric,
          effect: record.effect,
        },
        "evolution verdict",
      );
    }
    return written;
  }

  async #finding(plan: Plan): Promise<Finding | undefined> {
    try {
      return (
        await this.#knowledge.get(
          KnowledgeKeys.finding(plan.agent, plan.findingFingerprint),
          Finding,
        )
      )?.value;
    } catch {
      return undefined;
    }
  }

  /** The windows just before `appliedAt` (one more, for the mixed one) and just after. */
  async #windowsAround(agent: string, appliedAt: number): Promise<MetricWindow[]> {
    const keys = (await this.#knowledge.keys(KnowledgeKeys.metricsOf(agent)))
      .map((key) => ({ key, start: Number(key.slice(key.lastIndexOf(".") + 1)) }))
      .sort((a, b) => a.start - b.start);
    const before = keys
      .filter((k) => k.start < appliedAt)
      .slice(-(this.#settings.beforeWindows + 1));
    const after = keys.filter((k) => k.start >= appliedAt).slice(0, this.#settings.afterWindows);
    const windows: MetricWindow[] = [];
    for (const { key } of [...before, ...after]) {
      try {
        const entry = await this.#knowledge.get(key, MetricWindow);
        if (entry !== undefined) windows.push(entry.value);
      } catch {
        // A malformed window is left out; the window analyzer already logged it.
      }
    }
    return windows;
  }
}

function sameMeasurement(a: Evolution, b: Evolution): boolean {
  return (
    a.verdict === b.verdict &&
    a.before.samples === b.before.samples &&
    a.after.samples === b.after.samples &&
    a.toVersion === b.toVersion
  );
}
