import type { z } from "zod";
import type { BreakerRecord, BudgetRecord, RateBucketRecord } from "../resilience-records.ts";

// Hand-written valid resilience records for the examples in `../examples.ts`.

/** 2025-03-14T09:26:53.589Z, the instant of the other examples, in epoch milliseconds. */
const nowMs = 1_741_944_413_589;

/** A breaker that tripped, and one whose probe is in flight. */
export const breakerExamples: z.input<typeof BreakerRecord>[] = [
  {
    v: 1,
    provider: "openai",
    model: "gpt-4o-mini",
    state: "open",
    sinceMs: nowMs,
    openUntilMs: nowMs + 30_000,
    failureRatio: 0.6,
    requests: 20,
    trips: 1,
  },
  {
    v: 1,
    provider: "openai",
    model: "gpt-4o-mini",
    state: "half_open",
    sinceMs: nowMs + 30_000,
    probe: { owner: "execute-6f1c2a9e", untilMs: nowMs + 60_000 },
    trips: 1,
  },
];

/** An agent's bucket after a lease. */
export const rateBucketExamples: z.input<typeof RateBucketRecord>[] = [
  { v: 1, tokens: 52.5, updatedAtMs: nowMs, requestsPerMinute: 600, burst: 60 },
];

/** An agent's spending in the hour of the examples. */
export const budgetExamples: z.input<typeof BudgetRecord>[] = [
  { v: 1, agent: "support", hourStartMs: 1_741_942_800_000, tokens: 48_213, updatedAtMs: nowMs },
];
