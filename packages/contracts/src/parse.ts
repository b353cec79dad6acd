import { Buffer } from "node:buffer";
import type { z } from "zod";
import type { ErrorCode } from "./error-codes.ts";
import { PatinoxError } from "./errors.ts";
import type { SchemaIssue } from "./primitives.ts";
import { schemaIssues } from "./schema-issues.ts";

/** The outcome of an operation that does not throw: a value, or an error. */
export type Result<T, E = PatinoxError> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: E };

/** Options of {@link parseMessage}. */
export interface ParseOptions {
  /** Largest accepted payload in UTF-8 bytes; a larger one is `payload_too_large`. */
  readonly maxBytes?: number;
}

/** The step of parsing that failed, reported as `details.stage`. */
type Stage = "utf8" | "json" | "schema";

const utf8 = new TextDecoder("utf-8", { fatal: true });
const utf8Encoder = new TextEncoder();

type Decoded = { ok: true; value: unknown } | { ok: false; stage: Stage; message: string };

function decode(input: unknown): Decoded {
  let text: string;
  if (input instanceof Uint8Array) {
    try {
      text = utf8.decode(input);
    } catch {
      return { ok: false, stage: "utf8", message: "message is not valid UTF-8" };
    }
  } else if (typeof input === "string") {
    text = input;
  } else {
    return { ok: true, value: input };
  }
  try {
    // JSON.parse makes `__proto__` an own data property, never a prototype: safe to validate.
    return { ok: true, value: JSON.parse(text) };
  } catch {
    // V8's message quotes the input, which may hold secrets: say only what is wrong.
    return { ok: false, stage: "json", message: "message is not valid JSON" };
  }
}

function byteLength(input: unknown): number | undefined {
  if (input instanceof Uint8Array) return input.byteLength;
  if (typeof input === "string") return Buffer.byteLength(input, "utf8");
  return undefined;
}

function check<S extends z.ZodType>(
  schema: S,
  input: unknown,
  code: ErrorCode,
  extra: Record<string, string>,
): Result<z.output<S>> {
  const decoded = decode(input);
  if (!decoded.ok) {
    return fail(code, decoded.message, { ...extra, stage: decoded.stage, issues: [] });
  }
  const parsed = schema.safeParse(decoded.value);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issues = schemaIssues(parsed.error.issues);
  const first = issues[0];
  const summary = first === undefined ? "" : `: ${first.path || "/"} ${first.message}`;
  return fail(code, `message does not match its schema${summary}`, {
    ...extra,
    stage: "schema",
    issues,
  });
}

function fail(
  code: ErrorCode,
  message: string,
  details: Record<string, string | SchemaIssue[]>,
): { ok: false; error: PatinoxError } {
  return { ok: false, error: new PatinoxError(code, message.slice(0, 500), { details }) };
}

/**
 * Parses a message from the wire: bytes are decoded as UTF-8 (strictly), a string is parsed as
 * JSON, anything else is taken as already-decoded JSON; then the schema checks it. Never throws,
 * whatever the input: every failure is a `malformed_message` whose `details` hold `stage`
 * (`utf8`, `json` or `schema`) and `issues` (JSON Pointer and message, at most 20), or
 * `payload_too_large` when `maxBytes` is given and exceeded.
 */
export function parseMessage<S extends z.ZodType>(
  schema: S,
  input: unknown,
  options: ParseOptions = {},
): Result<z.output<S>> {
  try {
    const size = options.maxBytes === undefined ? undefined : byteLength(input);
    if (size !== undefined && options.maxBytes !== undefined && size > options.maxBytes) {
      return {
        ok: false,
        error: new PatinoxError(
          "payload_too_large",
          `message is ${size} bytes, the limit is ${options.maxBytes}`,
          {
            details: { bytes: size, limitBytes: options.maxBytes },
          },
        ),
      };
    }
    return check(schema, input, "malformed_message", {});
  } catch {
    // A schema can still throw (stack overflow on absurd nesting, a hostile getter).
    return fail("malformed_message", "message could not be checked", {
      stage: "schema",
      issues: [],
    });
  }
}

/**
 * Parses a knowledge record read at `key`, like {@link parseMessage} but failing with
 * `record_invalid` whose `details.key` names the key. Never throws.
 */
export function parseRecord<S extends z.ZodType>(
  schema: S,
  key: string,
  input: unknown,
): Result<z.output<S>> {
  const shownKey = String(key).slice(0, 256);
  try {
    return check(schema, input, "record_invalid", { key: shownKey });
  } catch {
    return fail("record_invalid", "record could not be checked", {
      key: shownKey,
      stage: "schema",
      issues: [],
    });
  }
}

/**
 * Encodes a message or record as UTF-8 JSON.
 * @throws TypeError when the value has no JSON form (`undefined`, a function, a bigint, a cycle).
 */
export function encode(value: unknown): Uint8Array {
  const text: string | undefined = JSON.stringify(value);
  if (text === undefined) throw new TypeError("value has no JSON form");
  return utf8Encoder.encode(text);
}
