import { PatinoxError, toPatinoxError } from "@patinox/contracts";
import type {
  ChatCompletion,
  ChatCompletionCreateParamsNonStreaming,
} from "openai/resources/chat/completions";
import { modelFailure } from "./model-failure.ts";
import type { ModelTarget } from "./model-providers.ts";

/** What one step asks of the model, whichever model answers. */
export type ModelRequest = Omit<ChatCompletionCreateParamsNonStreaming, "model">;

/** A completion and the model (with its position in the chain) that produced it. */
export interface ModelAnswer {
  readonly completion: ChatCompletion;
  readonly target: ModelTarget;
  /** Whether a fallback answered rather than the agent's own model. */
  readonly fallback: boolean;
}

/** Options of {@link completeWithFallbacks}. */
export interface ModelCallOptions {
  /** The run's signal: its reason is thrown as it is when it aborts a call. */
  readonly signal: AbortSignal;
  /** Timeout of one call. */
  readonly timeoutMs: number;
  /** Told of each failed attempt before the next model is tried (for logs). */
  readonly onFailure?: (failure: PatinoxError, target: ModelTarget) => void;
  /** Told of every attempt when it ends, answered or not (telemetry and spans). */
  readonly onAttempt?: (attempt: ModelAttempt) => void;
}

/** One call to one model, as telemetry sees it. */
export interface ModelAttempt {
  readonly target: ModelTarget;
  /** Whether the model is a fallback rather than the agent's own. */
  readonly fallback: boolean;
  /** 1 for the first call on this model in this step. */
  readonly attempt: number;
  /** `performance.now()` when the call started and ended. */
  readonly startedAt: number;
  readonly endedAt: number;
  /** The answer, or why there was none (the run's abort reason when it was aborted). */
  readonly completion?: ChatCompletion;
  readonly error?: PatinoxError;
}

/**
 * Asks the agent's model, then each fallback in order while the error says so: a failure whose
 * recovery is `fallback` (5xx, timeout, connection) or a 429 moves on to the next model; any
 * other error (a refused key) ends the step. When the run's signal aborts, its reason (deadline,
 * cancellation) is thrown at once. Every model failing ends in one error listing each attempt.
 */
export async function completeWithFallbacks(
  chain: readonly ModelTarget[],
  request: ModelRequest,
  options: ModelCallOptions,
): Promise<ModelAnswer> {
  const failures: PatinoxError[] = [];
  for (const [index, target] of chain.entries()) {
    if (options.signal.aborted) throw options.signal.reason;
    const fallback = index > 0;
    const startedAt = performance.now();
    try {
      const completion = await target.provider.client.chat.completions.create(
        { ...request, model: target.model },
        { signal: options.signal, timeout: options.timeoutMs, maxRetries: 0 },
      );
      options.onAttempt?.({
        target,
        fallback,
        attempt: 1,
        startedAt,
        endedAt: performance.now(),
        completion,
      });
      return { completion, target, fallback };
    } catch (error) {
      const endedAt = performance.now();
      if (options.signal.aborted) {
        const reason = toPatinoxError(options.signal.reason);
        options.onAttempt?.({ target, fallback, attempt: 1, startedAt, endedAt, error: reason });
        throw options.signal.reason;
      }
      const failure = modelFailure(error, target, options.timeoutMs);
      options.onAttempt?.({ target, fallback, attempt: 1, startedAt, endedAt, error: failure });
      options.onFailure?.(failure, target);
      if (failure.recovery !== "fallback" && failure.code !== "rate_limited") throw failure;
      failures.push(failure);
    }
  }
  throw everyModelFailed(failures);
}

function everyModelFailed(failures: readonly PatinoxError[]): PatinoxError {
  const [only] = failures;
  if (only !== undefined && failures.length === 1) return only;
  const attempts = failures.map((f) => f.details ?? {});
  const summary = failures.map((f) => f.message).join("; ");
  if (failures.every((f) => f.code === "rate_limited")) {
    // Every model is rate limited: the caller should wait for the first to refill.
    const waits = failures.flatMap((f) => (f.retryAfterMs === undefined ? [] : [f.retryAfterMs]));
    return new PatinoxError("rate_limited", `every model is rate limited: ${summary}`, {
      details: { attempts },
      ...(waits.length > 0 ? { retryAfterMs: Math.min(...waits) } : {}),
    });
  }
  return new PatinoxError("model_failure", `every model failed: ${summary}`, {
    details: { attempts },
  });
}
