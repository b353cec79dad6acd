import type { BreakerRecord, BreakerState } from "@patinox/contracts";
import type { WindowCounts } from "./rolling-window.ts";

/** When a circuit breaker opens and how it comes back. */
export interface BreakerPolicy {
  /** Failure share over the window at or above which the breaker opens. @default 0.5 */
  readonly failureRatio: number;
  /** Calls the window must hold before the ratio counts. @default 10 */
  readonly minimumRequests: number;
  /** Length of the rolling window. @default 30000 */
  readonly windowMs: number;
  /** How long the breaker stays open before one probe is let through. @default 15000 */
  readonly coolDownMs: number;
  /**
   * How long a claimed probe is held: if its owner never reports (it crashed), another replica
   * may claim the probe after this. Keep it above the longest model call. @default 120000
   */
  readonly probeTimeoutMs: number;
}

/** The defaults of {@link BreakerPolicy}. */
export const DEFAULT_BREAKER_POLICY: BreakerPolicy = Object.freeze({
  failureRatio: 0.5,
  minimumRequests: 10,
  windowMs: 30_000,
  coolDownMs: 15_000,
  probeTimeoutMs: 120_000,
});

/** Whether a replica's window says the breaker should open. */
export function shouldTrip(counts: WindowCounts, policy: BreakerPolicy): boolean {
  return (
    counts.requests >= policy.minimumRequests &&
    counts.failures / counts.requests >= policy.failureRatio
  );
}

/** What a replica may do with a model, given the breaker it last saw. */
export type BreakerVerdict =
  | { readonly kind: "call" }
  | { readonly kind: "claim-probe" }
  | { readonly kind: "skip"; readonly state: BreakerState; readonly retryAfterMs: number };

/**
 * The decision before a call, from the shared record alone (no I/O): closed (or never written)
 * → call; open within the cool-down, or half-open with a live probe → skip; open past the
 * cool-down, or half-open whose probe lapsed → try to claim the probe.
 */
export function verdict(record: BreakerRecord | undefined, nowMs: number): BreakerVerdict {
  if (record === undefined || record.state === "closed") return { kind: "call" };
  if (record.state === "open") {
    const until = record.openUntilMs ?? record.sinceMs;
    return until > nowMs
      ? { kind: "skip", state: "open", retryAfterMs: until - nowMs }
      : { kind: "claim-probe" };
  }
  const until = record.probe?.untilMs ?? 0;
  return until > nowMs
    ? { kind: "skip", state: "half_open", retryAfterMs: until - nowMs }
    : { kind: "claim-probe" };
}

/** Identity of a breaker's key: which model at which provider. */
export interface BreakerTarget {
  readonly provider: string;
  readonly model: string;
  /**
   * The agent whose call this is. Not part of the breaker's identity (one breaker per provider
   * and model, whoever calls): it only says, in a transition, whose call tripped it.
   */
  readonly agent?: string;
}

// The transitions below are compare-and-set functions: given the record as it is now in the
// bucket, they return the record to write, or `undefined` to leave it (someone else got there).

/** closed → open, when this replica's window trips it. */
export function tripped(
  current: BreakerRecord | undefined,
  target: BreakerTarget,
  counts: WindowCounts,
  policy: BreakerPolicy,
  nowMs: number,
): BreakerRecord | undefined {
  if (current !== undefined && current.state !== "closed") return undefined;
  return {
    v: 1,
    provider: target.provider,
    model: target.model,
    state: "open",
    sinceMs: nowMs,
    openUntilMs: nowMs + policy.coolDownMs,
    failureRatio: counts.requests === 0 ? 0 : counts.failures / counts.requests,
    requests: counts.requests,
    trips: (current?.trips ?? 0) + 1,
  };
}

/** open (cool-down over) or half-open (probe lapsed) → half-open, probed by `owner`. */
export function probeClaimed(
  current: BreakerRecord | undefined,
  owner: string,
  policy: BreakerPolicy,
  nowMs: number,
): BreakerRecord | undefined {
  if (current === undefined || verdict(current, nowMs).kind !== "claim-probe") return undefined;
  return {
    v: 1,
    provider: current.provider,
    model: current.model,
    state: "half_open",
    sinceMs: nowMs,
    probe: { owner, untilMs: nowMs + policy.probeTimeoutMs },
    trips: current.trips,
  };
}

/** How a probe ended. */
export type ProbeOutcome = "success" | "failure" | "released";

/**
 * half-open (probed by `owner`) → closed on success, open for another cool-down on failure,
 * open with the cool-down over on release (the probe told nothing: the next call probes).
 */
export function probeSettled(
  current: BreakerRecord | undefined,
  owner: string,
  outcome: ProbeOutcome,
  policy: BreakerPolicy,
  nowMs: number,
): BreakerRecord | undefined {
  if (current?.state !== "half_open" || current.probe?.owner !== owner) return undefined;
  const base = { v: 1 as const, provider: current.provider, model: current.model, sinceMs: nowMs };
  if (outcome === "success") return { ...base, state: "closed", trips: current.trips };
  return {
    ...base,
    state: "open",
    openUntilMs: outcome === "failure" ? nowMs + policy.coolDownMs : nowMs,
    // A failed probe is another trip: it shows in the count Analyze reads for flapping.
    trips: current.trips + (outcome === "failure" ? 1 : 0),
  };
}
