import type { SchemaIssue } from "@patinox/contracts";
import type { SchemaCompiler } from "../schema-compiler.ts";
import type { Validator } from "../validator.ts";
import { Verdict } from "../verdict.ts";
import { type ConfigOf, identityOf } from "./identity.ts";

/** The configuration of an `output_json_schema` validator. */
export type OutputJsonSchemaConfig = ConfigOf<"output_json_schema">;

/** Most schema issues listed in the feedback to the model. */
const MAX_FEEDBACK_ISSUES = 10;

const CLOSING = "Reply again with only the corrected JSON, and no other text.";

/**
 * Requires the output to be JSON matching the schema (structured agents). The schema is
 * compiled here, once per definition version. A violation asks the model again with the schema
 * errors as feedback (`onViolation: "retry"`) or rejects; the reason says only how many
 * errors, since paths quote the output.
 *
 * An output wrapped in a Markdown code fence (```` ```json … ``` ````), as models often write
 * it, is accepted when its content matches, and modified to the bare JSON: cheaper than a
 * retry, and what a structured caller wants.
 */
export function createOutputJsonSchemaValidator(
  config: OutputJsonSchemaConfig,
  compile: SchemaCompiler,
): Validator<string> {
  const schema = compile(config.schema);
  const violation = (reason: string, feedback: string): Verdict<string> =>
    config.onViolation === "reject" ? Verdict.reject(reason) : Verdict.retry(reason, feedback);
  return {
    ...identityOf(config),
    modifies: true,
    check(text: string): Verdict<string> {
      const read = readJson(text);
      if (read === undefined) {
        return violation(
          "the output is not valid JSON",
          `Your reply must be a single JSON value matching the required schema, and it could not be parsed as JSON. ${CLOSING}`,
        );
      }
      const issues = schema.check(read.value);
      if (issues.length > 0) {
        return violation(
          `the output does not match its JSON schema (${issues.length} ${issues.length === 1 ? "error" : "errors"})`,
          feedback(issues),
        );
      }
      return read.source === text
        ? Verdict.approve()
        : Verdict.modify(read.source, "took the JSON out of its code fence");
    },
  };
}

/** The JSON value of the output, and the text it was read from (inside a fence, if any). */
function readJson(text: string): { value: unknown; source: string } | undefined {
  const parsed = parse(text);
  if (parsed !== undefined) return { value: parsed.value, source: text };
  const inner = fenced(text);
  if (inner === undefined) return undefined;
  const unwrapped = parse(inner);
  return unwrapped === undefined ? undefined : { value: unwrapped.value, source: inner };
}

function parse(text: string): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(text) };
  } catch {
    return undefined;
  }
}

/** The content of a text that is one fenced code block, or nothing. */
function fenced(text: string): string | undefined {
  const trimmed = text.trim();
  if (!trimmed.startsWith("```") || !trimmed.endsWith("```") || trimmed.length < 6) {
    return undefined;
  }
  const firstLineEnd = trimmed.indexOf("\n");
  if (firstLineEnd < 0) return undefined;
  // The opening line may name a language (```json); anything else on it is not a fence.
  if (!/^```[A-Za-z0-9_-]*\s*$/.test(trimmed.slice(0, firstLineEnd))) return undefined;
  return trimmed.slice(firstLineEnd + 1, -3).trim();
}

function feedback(issues: readonly SchemaIssue[]): string {
  const lines = issues
    .slice(0, MAX_FEEDBACK_ISSUES)
    .map(
      (issue) =>
        `- ${issue.path === "" ? "at the top level" : `at ${issue.path}`}: ${issue.message}`,
    );
  if (issues.length > MAX_FEEDBACK_ISSUES) {
    lines.push(`- and ${issues.length - MAX_FEEDBACK_ISSUES} more`);
  }
  return [
    "Your reply must be JSON matching the required schema, and it does not:",
    ...lines,
    CLOSING,
  ].join("\n");
}
