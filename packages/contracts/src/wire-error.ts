import { z } from "zod";
import { ERROR_CODES, type ErrorCode, Recovery } from "./error-codes.ts";
import { JsonObject } from "./json.ts";
import { SchemaVersion } from "./primitives.ts";

/** Longest error message carried on the wire, in characters. */
export const MAX_ERROR_MESSAGE_LENGTH = 1000;

/**
 * An error as it travels across NATS: data, never a stack trace. `recovery` and `retryable`
 * repeat the code's spec so a client in any language can act without a copy of the table.
 */
export const WireError = z
  .object({
    code: z.enum(ERROR_CODES as [ErrorCode, ...ErrorCode[]]),
    message: z.string().max(MAX_ERROR_MESSAGE_LENGTH),
    recovery: z.enum(Recovery),
    retryable: z.boolean(),
    /** When a retry may succeed, in milliseconds from now. */
    retryAfterMs: z.int().nonnegative().optional(),
    /** JSON-safe facts about the failure (`issues`, `limitBytes`, `validator`…). */
    details: JsonObject.optional(),
  })
  .describe("An error as data: code, message, recovery strategy, retryability.");

/** An error as it travels across NATS. */
export type WireError = z.output<typeof WireError>;

/**
 * The reply of any request/reply endpoint that could not do what was asked. Every endpoint
 * replies either its own reply schema or this; an `ErrorReply` has no `status` key, and is
 * sent with the NATS micro service headers `Nats-Service-Error-Code` and `Nats-Service-Error`.
 */
export const ErrorReply = z
  .object({ v: SchemaVersion, error: WireError })
  .describe("The reply of an endpoint that could not do what was asked.");

/** The reply of an endpoint that could not do what was asked. */
export type ErrorReply = z.output<typeof ErrorReply>;
