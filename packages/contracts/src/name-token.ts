import { z } from "zod";

/**
 * The grammar of a name that becomes one token of a NATS subject or knowledge key: agent,
 * tool, service and run names, fingerprints and plan ids. ASCII letters, digits, `_` and
 * `-`, 1 to 64 characters: no dots, wildcards (`*`, `>`) or whitespace, so a name can never
 * change the shape of the subject it is placed in. It is also the grammar OpenAI-compatible
 * APIs accept for function (tool) names.
 */
export const NAME_TOKEN_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The grammar of a subject prefix: one or more name tokens joined by dots, at most 128
 * characters (`patinox`, `acme.prod.patinox`).
 */
export const PREFIX_PATTERN = /^[A-Za-z0-9_-]{1,64}(?:\.[A-Za-z0-9_-]{1,64})*$/;

/** Longest accepted prefix, in characters. */
export const MAX_PREFIX_LENGTH = 128;

/** Schema of a name token ({@link NAME_TOKEN_PATTERN}). */
export const NameToken = z
  .string()
  .regex(NAME_TOKEN_PATTERN, "must be 1-64 characters of A-Z, a-z, 0-9, _ or -");

/** A name that may be placed in a subject or key. */
export type NameToken = z.output<typeof NameToken>;

/** Schema of a subject prefix ({@link PREFIX_PATTERN}). */
export const SubjectPrefix = z
  .string()
  .max(MAX_PREFIX_LENGTH)
  .regex(PREFIX_PATTERN, "must be dot-separated tokens of A-Z, a-z, 0-9, _ or -");

/**
 * A concrete NATS subject that a definition may point at (a tool's subject): dot-separated
 * tokens of printable characters, no wildcards, no whitespace, at most 255 characters, and
 * not starting with `$` (system and JetStream API subjects are never a tool).
 */
export const ConcreteSubject = z
  .string()
  .max(255)
  .regex(
    /^[^\s.*>$][^\s.*>]*(?:\.[^\s.*>]+)*$/,
    "must be dot-separated tokens without wildcards or whitespace, not starting with $",
  );
