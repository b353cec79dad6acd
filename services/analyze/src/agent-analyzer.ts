import {
  AgentDefinitionRecord,
  FindingKind,
  KnowledgeKeys,
  type MetricWindow,
  SloConfig,
} from "@patinox/contracts";
import { type DetectorOutcome, type DetectorSettings, runDetectors } from "@patinox/detectors";
import type { Knowledge } from "@patinox/knowledge";
import type { Logger } from "@patinox/runtime";
import type { AnalyzeSettings } from "./analyze-config.ts";
import type { FindingStore } from "./finding-store.ts";

/**
 * Monitor folds `breaker.state` events, which name a provider's model but no agent, into the
 * windows of this reserved agent (`metrics._breakers.<windowStart>`). Analyze runs only the
 * breaker flapping detector there: its findings are installation-wide, under agent
 * `_breakers`.
 */
export const BREAKER_WINDOWS_AGENT = "_breakers";

/** What one evaluation of one agent did. */
export interface EvaluationReport {
  readonly agent: string;
  readonly outcomes: readonly DetectorOutcome[];
  /** Findings written (opened, refreshed, counted healthy, resolved). */
  readonly written: number;
  /** Events published. */
  readonly events: number;
}

/**
 * Evaluates one agent: reads its definition (SLO and budget; the defaults when it has none or
 * it fails its schema), runs every detector over its windows, and moves each answer's finding
 * along its lifecycle. Inconclusive answers write nothing.
 */
export class AgentAnalyzer {
  readonly #knowledge: Knowledge;
  readonly #store: FindingStore;
  readonly #settings: AnalyzeSettings;
  readonly #logger: Logger;
  readonly #now: () => number;
  /** The detector settings for {@link BREAKER_WINDOWS_AGENT}: breaker flapping alone. */
  readonly #breakerOnly: DetectorSettings;

  constructor(options: {
    knowledge: Knowledge;
    store: FindingStore;
    settings: AnalyzeSettings;
    logger: Logger;
    now?: () => number;
  }) {
    this.#knowledge = options.knowledge;
    this.#store = options.store;
    this.#settings = options.settings;
    this.#logger = options.logger;
    this.#now = options.now ?? Date.now;
    const only = Object.fromEntries(
      Object.values(FindingKind).map((kind) => [
        kind,
        { ...options.settings.detectors[kind], enabled: kind === FindingKind.BreakerFlapping },
      ]),
    );
    this.#breakerOnly = { ...options.settings.detectors, ...only } as DetectorSettings;
  }

  async evaluate(agent: string, windows: readonly MetricWindow[]): Promise<EvaluationReport> {
    const now = this.#now();
    const breakers = agent === BREAKER_WINDOWS_AGENT;
    const limits = breakers
      ? { slo: SloConfig.parse({}), tokenBudgetPerHour: undefined }
      : await this.#limitsOf(agent);
    const detectors = breakers ? this.#breakerOnly : this.#settings.detectors;
    const outcomes = runDetectors({ agent, windows, now, ...limits }, detectors);
    let written = 0;
    let events = 0;
    for (const outcome of outcomes) {
      if (outcome.verdict === "inconclusive") continue;
      const dryRun = this.#settings.detectors[outcome.kind].dryRun;
      if (dryRun && outcome.verdict === "finding") {
        this.#logger.debug(
          { agent, kind: outcome.kind, target: outcome.target },
          "dry-run detector would raise a finding",
        );
      }
      const applied = await this.#store.apply(outcome, {
        now,
        resolveAfter: this.#settings.resolveAfter,
        dryRun,
      });
      if (applied.written) written++;
      if (applied.event !== undefined) events++;
    }
    return { agent, outcomes, written, events };
  }

  async #limitsOf(agent: string) {
    try {
      const entry = await this.#knowledge.get(
        KnowledgeKeys.agentConfig(agent),
        AgentDefinitionRecord,
      );
      if (entry !== undefined) {
        return {
          slo: entry.value.definition.slo,
          tokenBudgetPerHour: entry.value.definition.limits.tokenBudgetPerHour,
        };
      }
    } catch (error) {
      this.#logger.warn(
        { agent, err: error },
        "agent definition unreadable; analysing with the default SLO",
      );
    }
    return { slo: SloConfig.parse({}), tokenBudgetPerHour: undefined };
  }
}
