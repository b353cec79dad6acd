import { z } from "zod";
import { NameToken } from "./name-token.ts";

/**
 * The version field every top-level message and record carries as `v`. Additive, optional
 * fields do not change it; a breaking change introduces `v: 2`, and readers accept both
 * during the migration.
 */
export const SchemaVersion = z.literal(1).describe("Schema version; 1 for this contract.");

/**
 * A point in time: ISO 8601 / RFC 3339 with a `Z` or numeric offset (`2025-01-31T12:00:00Z`).
 * Patinox writes UTC with `Z`.
 */
export const Timestamp = z.iso.datetime({ offset: true });

/** A count: a non-negative safe integer. */
export const Count = z.int().nonnegative();

/** A duration in milliseconds: a non-negative safe integer. */
export const DurationMs = z.int().nonnegative();

/** An amount of money in US dollars (from the configured price table). */
export const UsdAmount = z.number().nonnegative();

/** A ratio between 0 and 1 inclusive. */
export const Ratio = z.number().min(0).max(1);

/**
 * A run id: a {@link NameToken}, because it is placed in subjects
 * (`<prefix>.runs.<runId>.cancel`, `<prefix>.results.<runId>`). A UUID or ULID fits.
 */
export const RunId = NameToken;

/**
 * The id of an event published into a stream, sent as the `Nats-Msg-Id` header so a
 * publisher's retry is dropped by the stream's duplicate window: 1 to 128 printable ASCII
 * characters (`<runId>:<seq>` fits).
 */
export const EventId = z.string().regex(/^[\x21-\x7e]{1,128}$/, "1-128 printable ASCII characters");

/** A W3C trace id: 32 lowercase hex characters. */
export const TraceId = z.string().regex(/^[0-9a-f]{32}$/, "must be 32 lowercase hex characters");

/** A W3C span id: 16 lowercase hex characters. */
export const SpanId = z.string().regex(/^[0-9a-f]{16}$/, "must be 16 lowercase hex characters");

/**
 * A free-form label used as a record key rather than a subject token (a model name such as
 * `llama3.1:8b` or `meta-llama/Llama-3-8B`): 1 to 200 characters, no control characters.
 */
export const Label = z
  .string()
  .min(1)
  .max(200)
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  .regex(/^[^\u0000-\u001f\u007f]+$/, "must not contain control characters");

/** Non-negative counts keyed by a {@link Label} (by model, by error code, by validator…). */
export const CountMap = z.record(Label, Count);

/** One problem found by a schema: where (a JSON Pointer) and what. */
export const SchemaIssue = z.object({
  /** JSON Pointer (RFC 6901) to the offending value; `""` is the whole document. */
  path: z.string().max(512),
  message: z.string().max(512),
});

/** One problem found by a schema. */
export type SchemaIssue = z.output<typeof SchemaIssue>;
