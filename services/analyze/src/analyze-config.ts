import { FindingKind } from "@patinox/contracts";
import { DetectorSettings, EvolutionSettings } from "@patinox/detectors";
import { env } from "@patinox/runtime";
import { z } from "zod";

const KINDS = Object.values(FindingKind) as [FindingKind, ...FindingKind[]];

/** A JSON object from one variable, checked by `schema`; the message names what was expected. */
/** `all`, or a comma-separated list of detector kinds. */
const dryRunList = env.list().pipe(
  z.array(
    z.enum(["all", ...KINDS], {
      error: `expected "all" or a comma-separated list of: ${KINDS.join(", ")}`,
    }),
  ),
);

/**
 * Analyze's own environment variables, parsed once at start with the runtime's (documented in
 * `services/analyze/README.md`). Blank means unset.
 */
export const AnalyzeConfigSchema = z.object({
  /** How often every agent is evaluated even without window updates. @default 15000 */
  PATINOX_ANALYZE_INTERVAL_MS: env.int(100, 3_600_000).default(15_000),
  /** After a window update, how long to wait for more before evaluating the agent. @default 1000 */
  PATINOX_ANALYZE_DEBOUNCE_MS: env.int(0, 60_000).default(1_000),
  /** K: healthy windows in a row that resolve an open finding. @default 3 */
  PATINOX_ANALYZE_RESOLVE_AFTER: env.int(1, 1_000).default(3),
  /** Detector settings as JSON (every field optional; see docs/analyze.md). @default {} */
  PATINOX_ANALYZE_DETECTORS: env
    .json(DetectorSettings, 'detector settings such as {"error_rate_slo":{"minRuns":50}}')
    .optional(),
  /** How applied plans are judged, as JSON (see docs/analyze.md). @default {} */
  PATINOX_ANALYZE_EVOLUTION: env
    .json(EvolutionSettings, 'evolution settings such as {"minSamples":200}')
    .optional(),
  /** Detectors that only record what they would raise: `all` or a list of kinds. @default none */
  PATINOX_ANALYZE_DRY_RUN: dryRunList.optional(),
});

/** Analyze's parsed environment. */
export type AnalyzeEnvironment = z.output<typeof AnalyzeConfigSchema>;

/** What the analyzer runs with, derived once from the environment. */
export interface AnalyzeSettings {
  readonly intervalMs: number;
  readonly debounceMs: number;
  readonly resolveAfter: number;
  readonly detectors: DetectorSettings;
  readonly evolution: EvolutionSettings;
}

/** Merges `PATINOX_ANALYZE_DRY_RUN` into the detector settings; the result is frozen. */
export function analyzeSettings(config: AnalyzeEnvironment): AnalyzeSettings {
  const base = config.PATINOX_ANALYZE_DETECTORS ?? DetectorSettings.parse({});
  const dry = new Set(config.PATINOX_ANALYZE_DRY_RUN ?? []);
  const detectors = { ...base };
  for (const kind of KINDS) {
    if (dry.has("all") || dry.has(kind)) {
      (detectors as Record<FindingKind, unknown>)[kind] = { ...base[kind], dryRun: true };
    }
  }
  return Object.freeze({
    intervalMs: config.PATINOX_ANALYZE_INTERVAL_MS,
    debounceMs: config.PATINOX_ANALYZE_DEBOUNCE_MS,
    resolveAfter: config.PATINOX_ANALYZE_RESOLVE_AFTER,
    detectors: Object.freeze(detectors),
    evolution: Object.freeze(config.PATINOX_ANALYZE_EVOLUTION ?? EvolutionSettings.parse({})),
  });
}
