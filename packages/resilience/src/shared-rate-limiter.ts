import { PatinoxError, RateBucketRecord } from "@patinox/contracts";
import { type Knowledge, Unchanged } from "@patinox/knowledge";
import { systemClock, type WallClock } from "./clock.ts";
import {
  type BucketLevel,
  type BucketRate,
  fullBucket,
  msUntilToken,
  returnTokens,
  takeTokens,
} from "./token-bucket.ts";

/** How replicas lease tokens from a shared bucket. */
export interface LeasePolicy {
  /** Most tokens one lease takes, whatever the bucket. @default 1000 */
  readonly maxTokens: number;
  /** How long a lease's tokens may be used; what is left is given back with the next lease. @default 1000 */
  readonly ttlMs: number;
}

/** The defaults of {@link LeasePolicy}. */
export const DEFAULT_LEASE_POLICY: LeasePolicy = Object.freeze({ maxTokens: 1_000, ttlMs: 1_000 });

/**
 * Tokens one lease takes: what the bucket refills in `ttlMs`, at most a tenth of its burst and
 * at most `maxTokens`, at least 1. A slow or small bucket is thus shared token by token (exact),
 * and a fast one costs one compare-and-set per `ttlMs` of traffic rather than per request,
 * while no replica holds more than about `ttlMs` of the rate.
 */
export function leaseSize(rate: BucketRate, policy: LeasePolicy): number {
  const perTtl = Math.floor((rate.requestsPerMinute * policy.ttlMs) / 60_000);
  return Math.max(1, Math.min(policy.maxTokens, Math.floor(rate.burst / 10), perTtl));
}

/** Options of {@link SharedRateLimiter}. */
export interface SharedRateLimiterOptions {
  readonly knowledge: Knowledge;
  /** @default {@link DEFAULT_LEASE_POLICY} */
  readonly lease?: LeasePolicy;
  /** @default Date.now */
  readonly now?: WallClock;
}

/** The answer of {@link SharedRateLimiter.take}. */
export type RateDecision =
  | { readonly admitted: true }
  | { readonly admitted: false; readonly retryAfterMs: number };

interface Lease {
  tokens: number;
  readonly expiresAtMs: number;
  readonly rate: BucketRate;
}

/** Rounds of `Knowledge.update` (each of several compare-and-set attempts) before a conflict is reported. */
const CONFLICT_ROUNDS = 4;

/** Leases kept before expired ones are swept (per-caller buckets can be many). */
const SWEEP_ABOVE = 1_000;

/**
 * Token buckets shared by every replica through the knowledge bucket. A request takes a token
 * from this instance's lease of the bucket; only when the lease is empty or older than
 * `ttlMs` does the instance take a new lease of a few tokens with one compare-and-set (giving
 * back what the old lease left), so a busy agent costs one KV round trip per lease, not per
 * request. Concurrent requests on one instance share one lease in flight.
 *
 * The limit holds across replicas: every admitted request spent a token taken from the shared
 * bucket. Over any interval T, at most `burst + rate·T + R·lease` requests are admitted by R
 * replicas (the last term: tokens leased just before the interval; see {@link leaseSize}).
 * Unused leased tokens go back only when the same instance leases again; an instance that goes
 * quiet holds at most one lease out of circulation.
 */
export class SharedRateLimiter {
  readonly #knowledge: Knowledge;
  readonly #lease: LeasePolicy;
  readonly #now: WallClock;
  readonly #leases = new Map<string, Lease>();
  readonly #leasing = new Map<string, Promise<RateDecision>>();
  readonly #emptyUntil = new Map<string, { readonly untilMs: number; readonly rate: BucketRate }>();

  constructor(options: SharedRateLimiterOptions) {
    this.#knowledge = options.knowledge;
    this.#lease = options.lease ?? DEFAULT_LEASE_POLICY;
    this.#now = options.now ?? systemClock;
  }

  /**
   * Takes one token of the bucket under `key` (a `KnowledgeKeys.agentRateLimit` or
   * `callerRateLimit` key), admitting the request, or says how long until one is due.
   * @throws PatinoxError `conflict` when the compare-and-set lost every attempt; the bucket's
   *   errors when it cannot be reached
   */
  async take(key: string, rate: BucketRate): Promise<RateDecision> {
    for (;;) {
      const lease = this.#leases.get(key);
      if (lease !== undefined && this.#usable(lease, rate) && lease.tokens >= 1) {
        lease.tokens--;
        return { admitted: true };
      }
      const empty = this.#emptyUntil.get(key);
      const now = this.#now();
      if (empty !== undefined && empty.untilMs > now && sameRate(empty.rate, rate)) {
        return { admitted: false, retryAfterMs: empty.untilMs - now };
      }
      const inFlight = this.#leasing.get(key);
      if (inFlight !== undefined) {
        // Another request of this instance is leasing: use what it brings, or share its refusal.
        const decision = await inFlight;
        if (!decision.admitted) return decision;
        continue;
      }
      const leasing = this.#takeLease(key, rate).finally(() => this.#leasing.delete(key));
      this.#leasing.set(key, leasing);
      const decision = await leasing;
      if (!decision.admitted) return decision;
    }
  }

  /** Tokens of every lease held, by key (for tests and status). */
  leased(): ReadonlyMap<string, number> {
    return new Map([...this.#leases].map(([key, lease]) => [key, lease.tokens]));
  }

  #usable(lease: Lease, rate: BucketRate): boolean {
    return lease.expiresAtMs > this.#now() && sameRate(lease.rate, rate);
  }

  async #takeLease(key: string, rate: BucketRate): Promise<RateDecision> {
    const old = this.#leases.get(key);
    // The old lease's rest goes back with this write, or is lost if the write fails: never twice.
    this.#leases.delete(key);
    const giveBack = old !== undefined && old.tokens > 0 ? old.tokens : 0;
    const wanted = leaseSize(rate, this.#lease);
    let granted = 0;
    let retryAfterMs = 0;
    const now = this.#now();
    await this.#update(key, (current): RateBucketRecord | typeof Unchanged => {
      let level: BucketLevel =
        current === undefined
          ? fullBucket(rate, now)
          : { tokens: current.tokens, atMs: current.updatedAtMs };
      if (giveBack > 0) level = returnTokens(level, rate, giveBack, now);
      const taken = takeTokens(level, rate, wanted, now);
      granted = taken.granted;
      retryAfterMs = granted > 0 ? 0 : msUntilToken(taken.level, rate, now);
      // Nothing taken, nothing given back: the refill is computed on read, so skip the write.
      if (granted === 0 && giveBack === 0) return Unchanged;
      return {
        v: 1,
        tokens: taken.level.tokens,
        updatedAtMs: taken.level.atMs,
        requestsPerMinute: rate.requestsPerMinute,
        burst: rate.burst,
      };
    });
    if (granted === 0) {
      // Until a token is due, refuse here without asking the bucket again.
      const wait = Math.max(1, retryAfterMs);
      this.#sweep();
      this.#emptyUntil.set(key, { untilMs: now + wait, rate });
      return { admitted: false, retryAfterMs: wait };
    }
    this.#emptyUntil.delete(key);
    this.#sweep();
    this.#leases.set(key, { tokens: granted, expiresAtMs: now + this.#lease.ttlMs, rate });
    return { admitted: true };
  }

  /**
   * `Knowledge.update`, with more rounds when it reports a conflict: under sustained contention
   * one replica can lose many races in a row, and a lost race is no reason to fail a request.
   */
  async #update(
    key: string,
    change: (current: RateBucketRecord | undefined) => RateBucketRecord | typeof Unchanged,
  ): Promise<void> {
    for (let round = 1; ; round++) {
      try {
        await this.#knowledge.update(key, RateBucketRecord, change);
        return;
      } catch (error) {
        if (
          round >= CONFLICT_ROUNDS ||
          !(error instanceof PatinoxError) ||
          error.code !== "conflict"
        ) {
          throw error;
        }
      }
    }
  }

  #sweep(): void {
    if (this.#leases.size + this.#emptyUntil.size < SWEEP_ABOVE) return;
    const now = this.#now();
    for (const [key, lease] of this.#leases) if (lease.expiresAtMs <= now) this.#leases.delete(key);
    for (const [key, empty] of this.#emptyUntil)
      if (empty.untilMs <= now) this.#emptyUntil.delete(key);
  }
}

function sameRate(a: BucketRate, b: BucketRate): boolean {
  return a.requestsPerMinute === b.requestsPerMinute && a.burst === b.burst;
}
