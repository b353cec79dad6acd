import { z } from "zod";
import { JsonValue } from "./json.ts";
import { Label } from "./primitives.ts";

/**
 * A JSON Schema object as a tool's `parameters` or a structured output's `schema`: an object
 * schema (`type: "object"`) whose other keywords are passed through untouched.
 */
export const JsonSchemaObject = z
  .object({ type: z.literal("object") })
  .catchall(JsonValue)
  .describe("A JSON Schema whose type is object.");

/** A JSON Schema object. */
export type JsonSchemaObject = z.output<typeof JsonSchemaObject>;

/** The built-in validator kinds. */
export const ValidatorKind = {
  MaxInputSize: "max_input_size",
  DenyPatterns: "deny_patterns",
  PromptInjection: "prompt_injection",
  OutputMaxLength: "output_max_length",
  OutputJsonSchema: "output_json_schema",
  PiiRedaction: "pii_redaction",
} as const;

/** One of the {@link ValidatorKind} values. */
export type ValidatorKind = (typeof ValidatorKind)[keyof typeof ValidatorKind];

/** Fields every validator has. */
const common = {
  /** @default its kind */
  name: Label.optional().describe("Names the validator in telemetry and evolution paths."),
  /** @default 100 */
  priority: z
    .int()
    .min(0)
    .max(1000)
    .default(100)
    .describe("Validators of a stage run in ascending priority."),
};

/** What an output validator does when the output breaks it. @default "retry" */
const onViolation = z.enum(["retry", "reject"]).default("retry");

/** Rejects text longer than `maxBytes` UTF-8 bytes. */
export const MaxInputSizeValidator = z.strictObject({
  kind: z.literal(ValidatorKind.MaxInputSize),
  ...common,
  maxBytes: z.int().min(1).max(16_777_216),
});

/** Rejects text matching any of the regular expressions (compiled once per definition version). */
export const DenyPatternsValidator = z
  .strictObject({
    kind: z.literal(ValidatorKind.DenyPatterns),
    ...common,
    patterns: z
      .array(z.string().min(1).max(500))
      .min(1)
      .max(100)
      .describe("JavaScript regular expression sources, compiled with the `u` flag."),
    /** @default true */
    caseInsensitive: z.boolean().default(true),
  })
  .superRefine((v, ctx) => {
    v.patterns.forEach((pattern, i) => {
      try {
        new RegExp(pattern, v.caseInsensitive ? "iu" : "u");
      } catch {
        ctx.addIssue({
          code: "custom",
          path: ["patterns", i],
          message: "not a valid regular expression",
        });
      }
    });
  });

/**
 * A heuristic for prompt injection (phrases such as "ignore previous instructions", role
 * markers, encoded payloads), scored 0 to 1. A heuristic: it lowers risk, it is no guarantee.
 */
export const PromptInjectionValidator = z.strictObject({
  kind: z.literal(ValidatorKind.PromptInjection),
  ...common,
  /** @default 0.5 */
  threshold: z
    .number()
    .min(0)
    .max(1)
    .default(0.5)
    .describe("Score at or above which the text is rejected."),
});

/** Rejects (or retries) an output longer than `maxChars` characters. */
export const OutputMaxLengthValidator = z.strictObject({
  kind: z.literal(ValidatorKind.OutputMaxLength),
  ...common,
  maxChars: z.int().min(1).max(10_000_000),
  onViolation,
});

/** Requires the output to be JSON matching `schema` (structured agents). */
export const OutputJsonSchemaValidator = z.strictObject({
  kind: z.literal(ValidatorKind.OutputJsonSchema),
  ...common,
  schema: JsonSchemaObject,
  onViolation,
});

/** Finds e-mail addresses, phone numbers and API-key shapes, and redacts them or rejects. */
export const PiiRedactionValidator = z.strictObject({
  kind: z.literal(ValidatorKind.PiiRedaction),
  ...common,
  /** @default true */
  emails: z.boolean().default(true),
  /** @default true */
  phones: z.boolean().default(true),
  /** @default true */
  apiKeys: z.boolean().default(true),
  /** @default "redact" */
  action: z
    .enum(["redact", "reject"])
    .default("redact")
    .describe("`redact` modifies the text; `reject` refuses it."),
});

/** A validator run on the input before the model sees it. */
export const InputValidatorConfig = z.discriminatedUnion("kind", [
  MaxInputSizeValidator,
  DenyPatternsValidator,
  PromptInjectionValidator,
  PiiRedactionValidator,
]);

/** A validator run on a tool call's arguments before the call (and on its result). */
export const ToolValidatorConfig = z.discriminatedUnion("kind", [
  MaxInputSizeValidator,
  DenyPatternsValidator,
  PromptInjectionValidator,
  PiiRedactionValidator,
]);

/** A validator run on the output before it is returned. */
export const OutputValidatorConfig = z.discriminatedUnion("kind", [
  OutputMaxLengthValidator,
  OutputJsonSchemaValidator,
  DenyPatternsValidator,
  PiiRedactionValidator,
]);

/** A validator run on the input. */
export type InputValidatorConfig = z.output<typeof InputValidatorConfig>;
/** A validator run on a tool call. */
export type ToolValidatorConfig = z.output<typeof ToolValidatorConfig>;
/** A validator run on the output. */
export type OutputValidatorConfig = z.output<typeof OutputValidatorConfig>;
/** Any built-in validator's configuration. */
export type ValidatorConfig = InputValidatorConfig | ToolValidatorConfig | OutputValidatorConfig;
