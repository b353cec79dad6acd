import type { MetricWindow } from "@patinox/contracts";

/** What a detector looks at: one agent's windows, its limits, and the time. */
export interface DetectorInput {
  readonly agent: string;
  /**
   * The agent's windows in any order; windows outside the spans are ignored, and so are
   * windows whose length differs from the newest window's. A missing window is an idle one.
   */
  readonly windows: readonly MetricWindow[];
  /** Epoch milliseconds of the evaluation. */
  readonly now: number;
  /** The agent definition's `slo`. */
  readonly slo: { readonly errorRate: number; readonly p95LatencyMs: number };
  /** The agent definition's `limits.tokenBudgetPerHour`; no budget detector without it. */
  readonly tokenBudgetPerHour?: number | undefined;
}
