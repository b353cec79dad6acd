import type { z } from "zod";
import type { SchemaIssue } from "./primitives.ts";

/** Most issues reported for one message. */
export const MAX_SCHEMA_ISSUES = 20;

const MAX_MESSAGE = 300;
const MAX_PATH = 512;

type Issue = z.core.$ZodIssue;
type Key = PropertyKey;

/** RFC 6901: `~` → `~0`, `/` → `~1`. */
function pointer(path: readonly Key[]): string {
  const text = path
    .map((key) => `/${String(key).replaceAll("~", "~0").replaceAll("/", "~1")}`)
    .join("");
  return text.length > MAX_PATH ? `${text.slice(0, MAX_PATH - 1)}…` : text;
}

function clip(message: string): string {
  return message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE - 1)}…` : message;
}

/** A union branch that failed only because the value is of another type entirely. */
function isTypeMismatch(branch: readonly Issue[]): boolean {
  return branch.length === 1 && branch[0]?.code === "invalid_type" && branch[0].path.length === 0;
}

function collect(issues: readonly Issue[], base: readonly Key[], out: SchemaIssue[]): void {
  for (const issue of issues) {
    if (out.length >= MAX_SCHEMA_ISSUES) return;
    const path = [...base, ...issue.path];
    if (issue.code === "invalid_union") {
      // Report the branch the value was meant for (the only one of the right type), not the
      // bare "Invalid input" of the union.
      const candidates = issue.errors.filter((branch) => !isTypeMismatch(branch));
      const [only] = candidates;
      if (candidates.length === 1 && only !== undefined) {
        collect(only, path, out);
        continue;
      }
    }
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        if (out.length >= MAX_SCHEMA_ISSUES) return;
        out.push({ path: pointer([...path, key]), message: "unknown field" });
      }
      continue;
    }
    out.push({ path: pointer(path), message: clip(issue.message) });
  }
}

/**
 * Turns zod issues into at most {@link MAX_SCHEMA_ISSUES} {@link SchemaIssue}s: a JSON Pointer
 * and a message each, union failures narrowed to the branch that matched the value's type,
 * unknown keys one per key, paths and messages capped in length.
 */
export function schemaIssues(issues: readonly Issue[]): SchemaIssue[] {
  const out: SchemaIssue[] = [];
  collect(issues, [], out);
  return out;
}
