import { type PatinoxError, toPatinoxError } from "@patinox/contracts";
import type { BreakerPermit, CircuitBreakers, RetryPolicy } from "@patinox/resilience";
import { retryDelay } from "@patinox/resilience";
import type {
  ChatCompletion,
  ChatCompletionCreateParamsNonStreaming,
} from "openai/resources/chat/completions";
import { abortableSleep } from "./abortable-sleep.ts";
import { breakerOpen, everyModelFailed, modelFailure } from "./model-failure.ts";
import type { ModelTarget } from "./model-providers.ts";

/** What one step asks of the model, whichever model answers. */
export type ModelRequest = Pick<
  ChatCompletionCreateParamsNonStreaming,
  "messages" | "tools" | "response_format" | "temperature" | "max_tokens"
>;

/** A completion and the model (with its position in the chain) that produced it. */
export interface ModelAnswer {
  readonly completion: ChatCompletion;
  readonly target: ModelTarget;
  /** Whether a fallback answered rather than the agent's own model. */
  readonly fallback: boolean;
}

/** The guards of one run's model calls (built per run by `RunGuards.forRun`). */
export interface ModelGuards {
  /** The shared circuit breakers: asked before each model, told how each call ended. */
  readonly breakers: Pick<CircuitBreakers, "permit" | "record">;
  /** How a provider's 429 is retried on the same model. */
  readonly retry: RetryPolicy;
  /** The run's deadline on the `performance.now()` clock: no retry waits past it. */
  readonly deadline?: number;
  /** Told of the tokens (input + output) of each answered call: the agent's budget. */
  readonly charge: (tokens: number) => void;
  /** The agent running: named in the breaker transitions its calls cause. */
  readonly agent?: string;
}

/** Options of {@link completeWithFallbacks}. */
export interface ModelCallOptions {
  /** The run's signal: its reason is thrown as it is when it aborts a call. */
  readonly signal: AbortSignal;
  /** Timeout of one call. */
  readonly timeoutMs: number;
  /** Told of each failed attempt (a skipped model included) before what comes next (for logs). */
  readonly onFailure?: (failure: PatinoxError, target: ModelTarget) => void;
  /**
   * Told of every call when it ends, answered or not, retries included (telemetry and spans).
   * A model skipped by its breaker is not a call: only `onFailure` hears of it.
   */
  readonly onAttempt?: (attempt: ModelAttempt) => void;
  /** Breakers, retries, budget. Without them: no breaker, no retry, no charge. */
  readonly guards?: ModelGuards;
}

/** One call to one model, as telemetry sees it. */
export interface ModelAttempt {
  readonly target: ModelTarget;
  /** Whether the model is a fallback rather than the agent's own. */
  readonly fallback: boolean;
  /** 1 for the first call on this model in this step; more for the retries of a 429. */
  readonly attempt: number;
  /** `performance.now()` when the call started and ended. */
  readonly startedAt: number;
  readonly endedAt: number;
  /** The answer, or why there was none (the run's abort reason when it was aborted). */
  readonly completion?: ChatCompletion;
  readonly error?: PatinoxError;
}

/** How one model of the chain ended when it did not answer. */
interface Unanswered {
  readonly failure: PatinoxError;
}

/**
 * Asks the agent's model, then each fallback in order, as each error's recovery says:
 *
 * - a model whose circuit breaker is open (or whose half-open probe another replica holds) is
 *   skipped without a call;
 * - a 429 (`rate_limited`) is retried on the same model after the provider's `Retry-After`
 *   (or exponential backoff with jitter) while attempts remain, the wait fits the run's
 *   deadline and is not longer than the policy's `maxDelayMs`; then the next model is tried;
 * - a failure whose recovery is `fallback` (5xx, timeout, connection) moves on to the next model;
 * - any other error (a refused key) ends the step at once.
 *
 * Every answer and failure is recorded in the model's breaker (429s, refused keys and aborted
 * calls say nothing about its health), and each answer's tokens are charged to the budget.
 * When the run's signal aborts, its reason (deadline, cancellation) is thrown at once. Every
 * model failing ends in one error listing each attempt: `rate_limited` when every one was a
 * 429, else `model_failure`.
 */
export async function completeWithFallbacks(
  chain: readonly ModelTarget[],
  request: ModelRequest,
  options: ModelCallOptions,
): Promise<ModelAnswer> {
  const failures: PatinoxError[] = [];
  for (const [index, target] of chain.entries()) {
    if (options.signal.aborted) throw options.signal.reason;
    const permit = await options.guards?.breakers.permit({
      provider: target.provider.name,
      model: target.model,
      ...(options.guards.agent !== undefined ? { agent: options.guards.agent } : {}),
    });
    if (permit !== undefined && !permit.allowed) {
      const failure = breakerOpen(target, permit.state, permit.retryAfterMs);
      options.onFailure?.(failure, target);
      failures.push(failure);
      continue;
    }
    const outcome = await callModel({ target, fallback: index > 0, permit }, request, options);
    if ("completion" in outcome) {
      return { completion: outcome.completion, target, fallback: index > 0 };
    }
    failures.push(outcome.failure);
  }
  throw everyModelFailed(failures);
}

/**
 * One model of the chain, with the retries a 429 earns. Returns the completion, or the
 * failure after which the next model is tried; throws what ends the step.
 */
async function callModel(
  model: {
    readonly target: ModelTarget;
    readonly fallback: boolean;
    readonly permit: BreakerPermit | undefined;
  },
  request: ModelRequest,
  options: ModelCallOptions,
): Promise<{ readonly completion: ChatCompletion } | Unanswered> {
  const { target, fallback, permit } = model;
  const { guards, signal } = options;
  const settle = (outcome: BreakerOutcome) => record(guards, permit, outcome);
  const body = requestBody(request, target.model);
  for (let attempt = 1; ; attempt++) {
    let failure: PatinoxError;
    const startedAt = performance.now();
    try {
      const completion = await target.provider.client.chat.completions.create(body, {
        signal,
        timeout: options.timeoutMs,
        maxRetries: 0,
      });
      const endedAt = performance.now();
      observe(options, { target, fallback, attempt, startedAt, endedAt, completion });
      await settle("success");
      const usage = completion.usage;
      guards?.charge((usage?.prompt_tokens ?? 0) + (usage?.completion_tokens ?? 0));
      return { completion };
    } catch (error) {
      const endedAt = performance.now();
      if (signal.aborted) {
        const reason = toPatinoxError(signal.reason);
        observe(options, { target, fallback, attempt, startedAt, endedAt, error: reason });
        await settle("neutral");
        throw signal.reason;
      }
      failure = modelFailure(error, target, options.timeoutMs);
      observe(options, { target, fallback, attempt, startedAt, endedAt, error: failure });
    }
    options.onFailure?.(failure, target);
    if (failure.code === "rate_limited") {
      const wait = guards === undefined ? undefined : retryWait(guards, attempt, failure);
      if (wait === undefined) {
        await settle("neutral");
        return { failure };
      }
      try {
        await abortableSleep(wait, signal);
      } catch (aborted) {
        await settle("neutral");
        throw aborted;
      }
      continue;
    }
    if (failure.recovery === "fallback") {
      await settle("failure");
      return { failure };
    }
    await settle("neutral");
    throw failure;
  }
}

type BreakerOutcome = "success" | "failure" | "neutral";

/** Tells the model's breaker how a call ended (nothing without a breaker permit). */
async function record(
  guards: ModelGuards | undefined,
  permit: BreakerPermit | undefined,
  outcome: BreakerOutcome,
): Promise<void> {
  if (permit !== undefined) await guards?.breakers.record(permit, outcome);
}

/**
 * The request for one model: a literal with the model first (a leading spread of the request
 * would be V8's slow path for object literals, on every call of every run).
 */
function requestBody(request: ModelRequest, model: string): ChatCompletionCreateParamsNonStreaming {
  const body: ChatCompletionCreateParamsNonStreaming = { model, messages: request.messages };
  if (request.tools !== undefined) body.tools = request.tools;
  if (request.response_format !== undefined) body.response_format = request.response_format;
  if (request.temperature !== undefined) body.temperature = request.temperature;
  if (request.max_tokens !== undefined) body.max_tokens = request.max_tokens;
  return body;
}

/** Tells `onAttempt` of an attempt; what it throws (telemetry) never becomes a model failure. */
function observe(options: ModelCallOptions, attempt: ModelAttempt): void {
  try {
    options.onAttempt?.(attempt);
  } catch {
    // Telemetry is best effort: a call that answered stays answered.
  }
}

/** The wait before retrying a 429, or `undefined` when the policy or the deadline says no. */
function retryWait(
  guards: ModelGuards,
  attempt: number,
  failure: PatinoxError,
): number | undefined {
  const wait = retryDelay(guards.retry, attempt, failure.retryAfterMs);
  if (wait === undefined) return undefined;
  if (guards.deadline !== undefined && performance.now() + wait >= guards.deadline)
    return undefined;
  return wait;
}
