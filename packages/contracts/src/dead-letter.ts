import { Buffer } from "node:buffer";
import { z } from "zod";
import { ERROR_CODES, type ErrorCode } from "./error-codes.ts";
import type { PatinoxError } from "./errors.ts";
import { NameToken } from "./name-token.ts";
import { Count, Label, SchemaIssue, SchemaVersion, Timestamp } from "./primitives.ts";

/** How many bytes of a dead message's payload are kept, base64-encoded, in its dead letter. */
export const DEAD_LETTER_PREVIEW_BYTES = 1024;

/** Most issues kept in a dead letter. */
const MAX_ISSUES = 20;

/**
 * A message a consumer could not take (it failed its schema, or could not be handled), published
 * on `<prefix>.deadletters.<service>` after the original is terminated, so it never blocks the
 * messages behind it and is never redelivered forever.
 */
export const DeadLetter = z
  .object({
    v: SchemaVersion,
    /** The service that gave up on the message. */
    service: NameToken,
    /** The subject the message arrived on. */
    subject: z.string().max(512),
    stream: Label.optional(),
    streamSeq: Count.optional(),
    consumer: Label.optional(),
    /** The message's `Nats-Msg-Id`, if it had one. */
    msgId: z.string().max(128).optional(),
    code: z.enum(ERROR_CODES as [ErrorCode, ...ErrorCode[]]),
    reason: z.string().max(1000),
    issues: z.array(SchemaIssue).max(MAX_ISSUES).default([]),
    receivedAt: Timestamp,
    /** Size of the whole payload. */
    payloadBytes: Count,
    /** The first {@link DEAD_LETTER_PREVIEW_BYTES} bytes of the payload, base64. */
    payloadPreview: z.base64().max(Math.ceil(DEAD_LETTER_PREVIEW_BYTES / 3) * 4),
  })
  .describe("A message a consumer terminated, with the reason and a capped payload preview.");

/** A message a consumer could not take. */
export type DeadLetter = z.output<typeof DeadLetter>;

/** What {@link createDeadLetter} needs. */
export interface DeadLetterOptions {
  readonly service: string;
  readonly subject: string;
  readonly payload: Uint8Array;
  /** Why the message is dead: its `code`, `message` and `details.issues` are kept. */
  readonly error: PatinoxError;
  readonly receivedAt: Date;
  readonly stream?: string;
  readonly streamSeq?: number;
  readonly consumer?: string;
  readonly msgId?: string;
}

/** Builds the {@link DeadLetter} of a message, with the payload preview capped. */
export function createDeadLetter(options: DeadLetterOptions): DeadLetter {
  const preview = options.payload.subarray(0, DEAD_LETTER_PREVIEW_BYTES);
  const letter: DeadLetter = {
    v: 1,
    service: options.service,
    subject: options.subject.slice(0, 512),
    code: options.error.code,
    reason: options.error.message.slice(0, 1000),
    issues: issuesOf(options.error),
    receivedAt: options.receivedAt.toISOString(),
    payloadBytes: options.payload.byteLength,
    payloadPreview: Buffer.from(preview.buffer, preview.byteOffset, preview.byteLength).toString(
      "base64",
    ),
  };
  if (options.stream !== undefined) letter.stream = options.stream;
  if (options.streamSeq !== undefined) letter.streamSeq = options.streamSeq;
  if (options.consumer !== undefined) letter.consumer = options.consumer;
  if (options.msgId !== undefined) letter.msgId = options.msgId.slice(0, 128);
  return letter;
}

function issuesOf(error: PatinoxError): SchemaIssue[] {
  const parsed = z.array(SchemaIssue).safeParse(error.details?.issues);
  return parsed.success ? parsed.data.slice(0, MAX_ISSUES) : [];
}
