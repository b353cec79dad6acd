import { type BreakerState, PatinoxError } from "@patinox/contracts";
import { APIConnectionError, APIConnectionTimeoutError, APIError } from "openai";
import type { ModelTarget } from "./model-providers.ts";

/** Longest provider message kept: enough to diagnose, too short to carry a prompt back. */
const MAX_PROVIDER_MESSAGE = 300;

/** Longest `Retry-After` honoured, so a confused provider cannot park callers for a day. */
const MAX_RETRY_AFTER_MS = 600_000;

/**
 * The one normaliser at the model boundary: anything the `openai` client throws for one call
 * becomes a {@link PatinoxError} whose message is built here from the status, the error type
 * and the provider's own message, with the provider's credentials scrubbed out. The client's
 * error is not kept as `cause`: it holds the response headers and may be logged whole.
 *
 * - 429 → `rate_limited` (with `retryAfterMs` from `retry-after-ms` / `Retry-After`);
 * - 401, 403 → `permission_denied` (another model will not fix a refused key: no fallback);
 * - any other status, a timeout or a connection error → `model_failure` (recovery `fallback`).
 */
export function modelFailure(error: unknown, target: ModelTarget, timeoutMs: number): PatinoxError {
  const label = `${target.model} (${target.provider.name})`;
  const base = { model: target.model, provider: target.provider.name };
  if (error instanceof APIConnectionTimeoutError) {
    return new PatinoxError("model_failure", `${label}: timed out after ${timeoutMs} ms`, {
      details: { ...base, reason: "timeout" },
    });
  }
  if (error instanceof APIConnectionError) {
    return new PatinoxError("model_failure", `${label}: could not connect`, {
      details: { ...base, reason: "connection" },
    });
  }
  if (error instanceof APIError && error.status !== undefined) {
    const status = error.status;
    const type = typeof error.type === "string" ? error.type : "error";
    const said = target.provider.scrubber
      .scrub(providerMessage(error.error))
      .slice(0, MAX_PROVIDER_MESSAGE);
    const message = `${label}: ${status} ${type}${said === "" ? "" : `: ${said}`}`;
    const details = { ...base, reason: "status", status };
    if (status === 429) {
      const retryAfterMs = retryAfter(error.headers);
      return new PatinoxError("rate_limited", message, {
        details,
        ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      });
    }
    if (status === 401 || status === 403) {
      return new PatinoxError("permission_denied", message, { details });
    }
    return new PatinoxError("model_failure", message, { details });
  }
  // Not the client's error (a bug, a malformed reply): its text is not ours to pass on.
  return new PatinoxError("model_failure", `${label}: the call failed unexpectedly`, {
    details: { ...base, reason: "unexpected" },
  });
}

/** `{ message }` of OpenAI's error body, if it has one. */
function providerMessage(body: unknown): string {
  if (typeof body === "object" && body !== null && "message" in body) {
    const message = (body as { message: unknown }).message;
    if (typeof message === "string") return message.replace(/\s+/g, " ").trim();
  }
  return "";
}

/** The wait a 429 asks for: `retry-after-ms`, else `Retry-After` in seconds or as a date. */
function retryAfter(headers: Headers | undefined): number | undefined {
  const ms = Number.parseFloat(headers?.get("retry-after-ms") ?? "");
  if (Number.isFinite(ms) && ms >= 0) return Math.min(ms, MAX_RETRY_AFTER_MS);
  const value = headers?.get("retry-after");
  if (value === null || value === undefined) return undefined;
  const seconds = Number.parseFloat(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds * 1000, MAX_RETRY_AFTER_MS);
  const date = Date.parse(value);
  return Number.isNaN(date)
    ? undefined
    : Math.min(Math.max(0, date - Date.now()), MAX_RETRY_AFTER_MS);
}

/**
 * A model skipped because its circuit breaker is open (or another replica holds its half-open
 * probe): `model_failure` (recovery `fallback`), with the time until it may be tried again.
 */
export function breakerOpen(
  target: ModelTarget,
  state: BreakerState,
  retryAfterMs: number,
): PatinoxError {
  const label = `${target.model} (${target.provider.name})`;
  const why = state === "half_open" ? "is being probed" : "is open";
  return new PatinoxError("model_failure", `${label}: circuit breaker ${why}, not called`, {
    details: { model: target.model, provider: target.provider.name, reason: "breaker_open", state },
    retryAfterMs,
  });
}

/**
 * The one error of a step whose every model failed: the only failure as it is; `rate_limited`
 * with the shortest wait when every model was rate limited; else `model_failure` listing each
 * attempt (with the shortest wait when every model said when to come back, e.g. open breakers).
 */
export function everyModelFailed(failures: readonly PatinoxError[]): PatinoxError {
  const [only] = failures;
  if (only !== undefined && failures.length === 1) return only;
  const attempts = failures.map((f) => f.details ?? {});
  const summary = failures.map((f) => f.message).join("; ");
  const waits = failures.flatMap((f) => (f.retryAfterMs === undefined ? [] : [f.retryAfterMs]));
  const retryAfter =
    waits.length > 0 && waits.length === failures.length
      ? { retryAfterMs: Math.min(...waits) }
      : {};
  if (failures.every((f) => f.code === "rate_limited")) {
    // Every model is rate limited: the caller should wait for the first to refill.
    return new PatinoxError("rate_limited", `every model is rate limited: ${summary}`, {
      details: { attempts },
      ...(waits.length > 0 ? { retryAfterMs: Math.min(...waits) } : {}),
    });
  }
  return new PatinoxError("model_failure", `every model failed: ${summary}`, {
    details: { attempts },
    ...retryAfter,
  });
}
