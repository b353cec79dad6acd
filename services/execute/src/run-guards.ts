import {
  KnowledgeKeys,
  type LimitsConfig,
  PatinoxError,
  type RateLimitConfig,
} from "@patinox/contracts";
import type { Knowledge } from "@patinox/knowledge";
import {
  type BreakerPolicy,
  type BreakerTransition,
  CircuitBreakers,
  type LeasePolicy,
  type RetryPolicy,
  SharedRateLimiter,
  SharedTokenBudget,
  type WallClock,
} from "@patinox/resilience";
import type { Logger } from "@patinox/runtime";
import type { ModelGuards } from "./model-chain.ts";

/** What the guards are built from: one set per process. */
export interface RunGuardsOptions {
  readonly knowledge: Knowledge;
  readonly breaker: BreakerPolicy;
  readonly retry: RetryPolicy;
  readonly lease: LeasePolicy;
  readonly budgetRefreshMs: number;
  readonly logger: Logger;
  /**
   * Told of each breaker transition this instance made (the fields of `BreakerStateEvent`);
   * every transition is also logged. Must not throw.
   */
  readonly onBreakerStateChange?: (transition: BreakerTransition) => void;
  /** @default Date.now */
  readonly now?: WallClock;
}

/**
 * The guards around the model, shared with every other replica through the knowledge bucket:
 * before a run, the agent's hourly token budget and its rate limits (per caller, then per
 * agent); during the run, the circuit breakers of its models, 429 retries and budget charges
 * (through {@link RunGuards.forRun}).
 */
export class RunGuards {
  /** The shared breakers; their watch runs in the `breaker-watcher` actor. */
  readonly breakers: CircuitBreakers;
  readonly #limiter: SharedRateLimiter;
  readonly #budget: SharedTokenBudget;
  readonly #retry: RetryPolicy;

  constructor(options: RunGuardsOptions) {
    const { knowledge, logger } = options;
    const clock = options.now === undefined ? {} : { now: options.now };
    this.breakers = new CircuitBreakers({
      knowledge,
      policy: options.breaker,
      ...clock,
      onStateChange: (transition) => {
        logger.warn({ ...transition }, "circuit breaker changed state");
        options.onBreakerStateChange?.(transition);
      },
      onObserved: ({ provider, model, state }) =>
        logger.debug({ provider, model, state }, "circuit breaker state seen"),
      onError: (err, key) =>
        logger.warn({ err, key }, "circuit breaker record not read or written"),
    });
    this.#limiter = new SharedRateLimiter({ knowledge, lease: options.lease, ...clock });
    this.#budget = new SharedTokenBudget({
      knowledge,
      refreshMs: options.budgetRefreshMs,
      ...clock,
      onError: (err, key) => logger.warn({ err, key }, "token budget charge not written yet"),
    });
    this.#retry = options.retry;
  }

  /**
   * What must hold before a run of `agent` starts: its token budget for this hour not spent,
   * then a token of the caller's bucket (when the agent has `callerRateLimit` and the request a
   * `callerId`), then one of the agent's. The caller's bucket comes first so one caller over its
   * limit cannot drain the agent's bucket for everyone else.
   * @throws PatinoxError `budget_exhausted` or `rate_limited`, each with `retryAfterMs`
   */
  async admit(agent: string, limits: LimitsConfig, callerId: string | undefined): Promise<void> {
    try {
      if (limits.tokenBudgetPerHour !== undefined) {
        await this.#budget.check(agent, limits.tokenBudgetPerHour);
      }
      if (limits.callerRateLimit !== undefined && callerId !== undefined) {
        const key = KnowledgeKeys.callerRateLimit(agent, callerId);
        const who = `caller ${JSON.stringify(callerId)} of agent ${agent}`;
        await this.#take(key, limits.callerRateLimit, who, { agent, scope: "caller" });
      }
      const key = KnowledgeKeys.agentRateLimit(agent);
      await this.#take(key, limits.rateLimit, `agent ${agent}`, { agent, scope: "agent" });
    } catch (error) {
      if (error instanceof PatinoxError) throw error;
      // The bucket could not be reached: the limits cannot be checked, so nothing runs.
      throw new PatinoxError(
        "unavailable",
        `the knowledge bucket could not be reached to check agent ${agent}'s limits`,
        { cause: error, details: { agent } },
      );
    }
  }

  /**
   * The guards of one run's model calls. `deadline` is on the `performance.now()` clock. Tokens
   * are charged only when the agent has a budget (hourly totals exist for budgeted agents).
   */
  forRun(agent: string, limits: LimitsConfig, deadline: number | undefined): ModelGuards {
    const budgeted = limits.tokenBudgetPerHour !== undefined;
    return {
      agent,
      breakers: this.breakers,
      retry: this.#retry,
      ...(deadline !== undefined ? { deadline } : {}),
      charge: (tokens) => {
        if (budgeted) this.#budget.charge(agent, tokens);
      },
    };
  }

  /** Writes the budget charges not written yet (at shutdown, once runs have finished). */
  async flush(): Promise<void> {
    await this.#budget.flush();
  }

  async #take(
    key: string,
    limit: RateLimitConfig,
    who: string,
    details: { agent: string; scope: "agent" | "caller" },
  ): Promise<void> {
    const decision = await this.#limiter.take(key, limit);
    if (decision.admitted) return;
    throw new PatinoxError(
      "rate_limited",
      `${who} is over its rate limit (${limit.requestsPerMinute} requests a minute, burst ${limit.burst})`,
      { retryAfterMs: decision.retryAfterMs, details },
    );
  }
}
