import { type ErrorCategory, type ErrorCode, ErrorSpecs, type Recovery } from "./error-codes.ts";
import { JsonObject } from "./json.ts";
import { MAX_ERROR_MESSAGE_LENGTH, type WireError } from "./wire-error.ts";

/** Largest `details` carried on the wire, as serialised JSON characters. */
const MAX_DETAILS_LENGTH = 8192;

/** The message an unknown error is given on the wire: its own message may hold secrets. */
export const INTERNAL_ERROR_MESSAGE = "internal error";

/** Options of a {@link PatinoxError}. */
export interface PatinoxErrorOptions {
  /** JSON-safe facts a caller can act on; never secrets or user content. */
  readonly details?: JsonObject;
  /** When a retry may succeed, in milliseconds from now. */
  readonly retryAfterMs?: number;
  /** The error this one wraps; kept for logs, never sent on the wire. */
  readonly cause?: unknown;
}

/**
 * The one error class of Patinox: a closed {@link ErrorCode} whose spec fixes `category`, `recovery`,
 * `retryable` and `natsServiceCode`. Crosses NATS as a {@link WireError} through {@link PatinoxError.toWire}.
 */
export class PatinoxError extends Error {
  override readonly name = "PatinoxError";
  /** What went wrong. */
  readonly code: ErrorCode;
  /** The kind of failure (from the code's spec). */
  readonly category: ErrorCategory;
  /** What the component that meets this error does next (from the code's spec). */
  readonly recovery: Recovery;
  /** Whether the same request may be sent again (from the code's spec). */
  readonly retryable: boolean;
  /** The status for the NATS micro service `Nats-Service-Error-Code` header (from the code's spec). */
  readonly natsServiceCode: number;
  /** JSON-safe facts about the failure. */
  readonly details?: JsonObject;
  /** When a retry may succeed, in milliseconds from now. */
  readonly retryAfterMs?: number;

  /** Creates an error with `code`; `recovery` and `retryable` come from the code's spec. */
  constructor(code: ErrorCode, message: string, options: PatinoxErrorOptions = {}) {
    super(message, "cause" in options ? { cause: options.cause } : undefined);
    const spec = ErrorSpecs[code];
    this.code = code;
    this.category = spec.category;
    this.recovery = spec.recovery;
    this.retryable = spec.retryable;
    this.natsServiceCode = spec.natsServiceCode;
    if (options.details !== undefined) this.details = options.details;
    if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
  }

  /**
   * The error as data for the wire: no stack, no cause; the message capped at
   * {@link MAX_ERROR_MESSAGE_LENGTH}; `details` dropped if they are not JSON-safe or too large.
   */
  toWire(): WireError {
    const wire: WireError = {
      code: this.code,
      message: this.message.slice(0, MAX_ERROR_MESSAGE_LENGTH),
      recovery: this.recovery,
      retryable: this.retryable,
    };
    if (this.retryAfterMs !== undefined && Number.isFinite(this.retryAfterMs)) {
      wire.retryAfterMs = Math.min(
        Number.MAX_SAFE_INTEGER,
        Math.max(0, Math.ceil(this.retryAfterMs)),
      );
    }
    const details = wireDetails(this.details);
    if (details !== undefined) wire.details = details;
    return wire;
  }
}

function wireDetails(details: JsonObject | undefined): JsonObject | undefined {
  if (details === undefined) return undefined;
  try {
    const checked = JsonObject.safeParse(details);
    if (!checked.success) return { dropped: "details were not JSON-safe" };
    if (JSON.stringify(checked.data).length > MAX_DETAILS_LENGTH) {
      return { dropped: `details were larger than ${MAX_DETAILS_LENGTH} characters` };
    }
    return checked.data;
  } catch {
    // A cycle or a throwing getter: the error must still reach the caller.
    return { dropped: "details could not be serialised" };
  }
}

/**
 * The normaliser at every boundary: a {@link PatinoxError} is returned as it is; anything else
 * becomes `internal` with a generic message, keeping the original as `cause` for the logs.
 */
export function toPatinoxError(error: unknown): PatinoxError {
  if (error instanceof PatinoxError) return error;
  return new PatinoxError("internal", INTERNAL_ERROR_MESSAGE, { cause: error });
}

/**
 * Turns anything thrown into a {@link WireError}. Only a {@link PatinoxError}'s own message
 * travels; an unknown error's message and stack never do, since they may hold secrets (a
 * provider error echoing a key, a connection string).
 */
export function toWireError(error: unknown): WireError {
  return toPatinoxError(error).toWire();
}

/**
 * Turns a {@link WireError} received from another service back into a {@link PatinoxError}.
 * `recovery` and `retryable` come from this side's spec for the code.
 */
export function fromWireError(wire: WireError): PatinoxError {
  const options: { details?: JsonObject; retryAfterMs?: number } = {};
  if (wire.details !== undefined) options.details = wire.details;
  if (wire.retryAfterMs !== undefined) options.retryAfterMs = wire.retryAfterMs;
  return new PatinoxError(wire.code, wire.message, options);
}
