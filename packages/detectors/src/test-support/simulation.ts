import type { FindingKind } from "@patinox/contracts";
import type { DetectorSettings } from "../detector-settings.ts";
import type { DetectorOutcome } from "../outcome.ts";
import { runDetectors } from "../run-detectors.ts";
import { generateWindows, SLO, type TrafficProfile } from "./traffic.ts";

const START = 1_700_000_000_000;
const WINDOW_MS = 60_000;

/** Evaluation time just before window `i` closes. */
function endOf(i: number): number {
  return START + (i + 1) * WINDOW_MS - 1;
}

/** What a run of healthy traffic raised. */
export interface FalsePositiveReport {
  readonly seeds: number;
  /** Agent evaluations (one per window per seed). */
  readonly evaluations: number;
  /** Evaluations in which any detector answered `finding`. */
  readonly evaluationsWithFinding: number;
  /** Individual detector answers (one per detector and target per evaluation). */
  readonly answers: number;
  readonly findingAnswers: number;
  /** Findings by kind. */
  readonly byKind: Readonly<Record<string, number>>;
}

/**
 * Runs `seeds` agents of healthy traffic for `windows` windows each and evaluates every
 * detector at the end of each window after the first `warmup` (the baseline's length).
 */
export function measureFalsePositives(options: {
  readonly seeds: number;
  readonly windows: number;
  readonly settings: DetectorSettings;
  readonly profile: TrafficProfile;
  readonly tokenBudgetPerHour?: number;
}): FalsePositiveReport {
  const warmup = options.settings.baselineWindows + options.settings.currentWindows;
  let evaluations = 0;
  let evaluationsWithFinding = 0;
  let answers = 0;
  let findingAnswers = 0;
  const byKind: Record<string, number> = {};
  for (let seed = 1; seed <= options.seeds; seed++) {
    const windows = generateWindows(() => options.profile, {
      windows: options.windows,
      seed,
      start: START,
      windowMs: WINDOW_MS,
    });
    for (let i = warmup; i < options.windows; i++) {
      const outcomes = runDetectors(
        {
          agent: "support",
          windows,
          now: endOf(i),
          slo: SLO,
          tokenBudgetPerHour: options.tokenBudgetPerHour,
        },
        options.settings,
      );
      evaluations++;
      answers += outcomes.length;
      const found = outcomes.filter((o) => o.verdict === "finding");
      findingAnswers += found.length;
      if (found.length > 0) evaluationsWithFinding++;
      for (const f of found) byKind[f.kind] = (byKind[f.kind] ?? 0) + 1;
    }
  }
  return {
    seeds: options.seeds,
    evaluations,
    evaluationsWithFinding,
    answers,
    findingAnswers,
    byKind,
  };
}

/**
 * Windows after a step change until a detector of `kinds` answers `finding`: 1 means found
 * at the end of the first changed window, `undefined` means not within `limit` windows.
 */
export function detectionLatency(options: {
  readonly seed: number;
  readonly settings: DetectorSettings;
  readonly before: TrafficProfile;
  readonly after: TrafficProfile;
  readonly kinds: readonly FindingKind[];
  readonly target?: string;
  readonly limit?: number;
}): number | undefined {
  const stepAt = options.settings.baselineWindows + options.settings.currentWindows + 2;
  const limit = options.limit ?? 6;
  const windows = generateWindows((i) => (i < stepAt ? options.before : options.after), {
    windows: stepAt + limit,
    seed: options.seed,
    start: START,
    windowMs: WINDOW_MS,
  });
  for (let k = 0; k < limit; k++) {
    const outcomes = runDetectors(
      { agent: "support", windows, now: endOf(stepAt + k), slo: SLO },
      options.settings,
    );
    if (outcomes.some((o) => isWanted(o, options.kinds, options.target))) return k + 1;
  }
  return undefined;
}

function isWanted(o: DetectorOutcome, kinds: readonly FindingKind[], target?: string): boolean {
  return (
    o.verdict === "finding" &&
    kinds.includes(o.kind) &&
    (target === undefined || o.target === target)
  );
}
