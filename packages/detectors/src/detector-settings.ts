import { z } from "zod";

const Probability = z.number().gt(0).lt(1);
const PositiveInt = z.int().min(1);

/** What every detector has: whether it runs, and whether it only records what it would raise. */
const Switches = {
  /** @default true */
  enabled: z.boolean().default(true),
  /** Record the finding (marked `dryRun`) without publishing an event. @default false */
  dryRun: z.boolean().default(false),
};

/** The error rate of the current windows against the agent's SLO. */
export const ErrorRateSloSettings = z.strictObject({
  ...Switches,
  /** Runs needed in the current windows before anything is concluded. @default 30 */
  minRuns: PositiveInt.default(30),
  /** One-sided confidence that the error rate exceeds the SLO (Wilson lower bound). @default 0.99 */
  confidence: Probability.default(0.99),
  /** Critical when the observed rate is this many times the SLO. @default 2 */
  criticalFactor: z.number().min(1).default(2),
  /** Error codes that are not the agent's failures. @default ["cancelled"] */
  ignoredCodes: z.array(z.string().min(1)).default(["cancelled"]),
});

/** The error rate of the current windows against the agent's own trailing baseline. */
export const ErrorRateBaselineSettings = z.strictObject({
  ...Switches,
  /** @default 30 */
  minRuns: PositiveInt.default(30),
  /** Runs needed in the baseline windows. @default 100 */
  minBaselineRuns: PositiveInt.default(100),
  /**
   * One-sided confidence of the two-proportion z-test. Strict because a baseline test runs on
   * every window of every agent: at 0.999 healthy noise raised a finding every ~1,000
   * evaluations (see docs/analyze.md). @default 0.99999
   */
  confidence: Probability.default(0.99999),
  /** The current rate must be at least this multiple of the baseline rate. @default 1.5 */
  minRatio: z.number().min(1).default(1.5),
  /** …and at least this much higher, absolutely (0.02 = 2 percentage points). @default 0.02 */
  minIncrease: z.number().min(0).max(1).default(0.02),
  /** Critical when the current rate is this multiple of the baseline. @default 3 */
  criticalRatio: z.number().min(1).default(3),
  /** @default ["cancelled"] */
  ignoredCodes: z.array(z.string().min(1)).default(["cancelled"]),
});

/** The p95 latency of the current windows against the agent's SLO. */
export const LatencySloSettings = z.strictObject({
  ...Switches,
  /** Runs with a latency in the current windows. @default 30 */
  minRuns: PositiveInt.default(30),
  /** One-sided confidence that more than 5% of runs are slower than the SLO. @default 0.99 */
  confidence: Probability.default(0.99),
  /** Critical when p95 is this many times the SLO. @default 2 */
  criticalFactor: z.number().min(1).default(2),
});

/** The p95 latency of the current windows against the agent's own trailing baseline. */
export const LatencyBaselineSettings = z.strictObject({
  ...Switches,
  /** @default 30 */
  minRuns: PositiveInt.default(30),
  /** @default 100 */
  minBaselineRuns: PositiveInt.default(100),
  /** One-sided confidence that more runs exceed the baseline's p95 than the baseline's 5%. @default 0.99999 */
  confidence: Probability.default(0.99999),
  /** Current p95 ÷ baseline p95 must reach this. @default 1.5 */
  minRatio: z.number().min(1).default(1.5),
  /** …and p95 must grow by at least this many milliseconds. @default 50 */
  minIncreaseMs: z.number().min(0).default(50),
  /** Critical at this ratio. @default 2 */
  criticalRatio: z.number().min(1).default(2),
});

/** A rate per target (tool, validator) against a fixed ceiling. */
const RateCeilingSettings = (defaults: { maxRate: number; criticalFactor: number }) =>
  z.strictObject({
    ...Switches,
    /** Calls (or runs) of the target needed in the current windows. @default 20 */
    minSamples: PositiveInt.default(20),
    /** The highest acceptable rate. */
    maxRate: z.number().gt(0).lt(1).default(defaults.maxRate),
    /** One-sided confidence that the rate exceeds `maxRate` (Wilson lower bound). @default 0.99 */
    confidence: Probability.default(0.99),
    /** Critical when the observed rate is this multiple of `maxRate`. */
    criticalFactor: z.number().min(1).default(defaults.criticalFactor),
  });

/** Failed calls (`error`, not timeouts) per tool. @default maxRate 0.1 */
export const ToolFailuresSettings = RateCeilingSettings({ maxRate: 0.1, criticalFactor: 3 });
/** Timed-out calls per tool. @default maxRate 0.05 */
export const ToolTimeoutsSettings = RateCeilingSettings({ maxRate: 0.05, criticalFactor: 4 });
/** Rejections per validator, per run. @default maxRate 0.1 */
export const ValidatorRejectionsSettings = RateCeilingSettings({ maxRate: 0.1, criticalFactor: 3 });
/** Model calls made on a fallback model, per model call. @default maxRate 0.2 */
export const FallbackRelianceSettings = RateCeilingSettings({ maxRate: 0.2, criticalFactor: 2.5 });

/** Token spending against the agent's `limits.tokenBudgetPerHour`. */
export const BudgetBurnSettings = z.strictObject({
  ...Switches,
  /** Windows the pace is measured over (absent windows count as idle). @default 5 */
  paceWindows: PositiveInt.default(5),
  /** Runs needed in those windows. @default 10 */
  minRuns: PositiveInt.default(10),
  /** A finding when the hourly pace exceeds this share of the budget. @default 1 */
  maxPace: z.number().gt(0).default(1),
  /** Critical at this share. @default 2 */
  criticalPace: z.number().gt(0).default(2),
});

/** Circuit breaker openings in the current windows. */
export const BreakerFlappingSettings = z.strictObject({
  ...Switches,
  /** Openings in the current windows that make a finding. @default 3 */
  minOpens: PositiveInt.default(3),
  /** …spread over at least this many windows: flapping recurs, a burst is one incident. @default 2 */
  minWindows: PositiveInt.default(2),
  /** Critical at this many. @default 10 */
  criticalOpens: PositiveInt.default(10),
});

/**
 * Every detector's settings and the spans they look at, with defaults for everything:
 * `DetectorSettings.parse({})` is the default configuration.
 */
export const DetectorSettings = z
  .strictObject({
    /** Windows (ending now) that are "current". @default 2 */
    currentWindows: PositiveInt.max(100).default(2),
    /** Windows before the current ones that form the baseline. @default 10 */
    baselineWindows: PositiveInt.max(1000).default(10),
    /**
     * Leave out error-rate and latency findings that a cause finding of the same evaluation
     * explains (one fault, one finding; see `explainSymptoms`). @default true
     */
    explainSymptoms: z.boolean().default(true),
    error_rate_slo: ErrorRateSloSettings.prefault({}),
    error_rate_baseline: ErrorRateBaselineSettings.prefault({}),
    latency_slo: LatencySloSettings.prefault({}),
    latency_baseline: LatencyBaselineSettings.prefault({}),
    tool_failures: ToolFailuresSettings.prefault({}),
    tool_timeouts: ToolTimeoutsSettings.prefault({}),
    validator_rejections: ValidatorRejectionsSettings.prefault({}),
    budget_burn: BudgetBurnSettings.prefault({}),
    breaker_flapping: BreakerFlappingSettings.prefault({}),
    fallback_reliance: FallbackRelianceSettings.prefault({}),
  })
  .describe("Analyze's detector settings.");

/** Every detector's settings. */
export type DetectorSettings = z.output<typeof DetectorSettings>;
/** What {@link DetectorSettings} accepts: every field optional. */
export type DetectorSettingsInput = z.input<typeof DetectorSettings>;
/** The settings of the fixed-ceiling rate detectors. */
export type RateCeilingSettings = z.output<typeof ToolFailuresSettings>;
