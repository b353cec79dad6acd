import type { z } from "zod";
import type { FieldPathSegment } from "../field-path.ts";
import type { Target } from "./yaml-position.ts";

type Issue = z.core.$ZodIssue;

/** A schema issue in words, with the field it is about and what to point at. */
export interface DescribedIssue {
  readonly path: readonly FieldPathSegment[];
  readonly message: string;
  readonly target: Target;
}

/**
 * Turns zod issues into messages for someone editing a YAML file: `expected a whole number,
 * got 1.5`, `unknown field`, `required field is missing`. `data` is the parsed document, to
 * say what was found. Union failures are narrowed to the branch the value was meant for.
 */
export function describeIssues(issues: readonly Issue[], data: unknown): DescribedIssue[] {
  const out: DescribedIssue[] = [];
  collect(issues, [], data, out);
  return out;
}

function collect(
  issues: readonly Issue[],
  base: readonly FieldPathSegment[],
  data: unknown,
  out: DescribedIssue[],
): void {
  for (const issue of issues) {
    const path = [...base, ...issue.path.map(toSegment)];
    const found = valueAt(data, path);
    switch (issue.code) {
      case "unrecognized_keys":
        for (const key of issue.keys) {
          out.push({ path: [...path, key], message: "unknown field", target: "key" });
        }
        break;
      case "invalid_union": {
        // A discriminated union whose discriminator (`kind`) matched no option.
        if (issue.discriminator !== undefined && issue.inclusive !== false) {
          const options = (issue.options ?? []).map(String).join(", ");
          out.push(
            found.present
              ? {
                  path,
                  message: `expected one of ${options}, got ${show(found.value)}`,
                  target: "value",
                }
              : {
                  path,
                  message: `required field is missing (one of ${options})`,
                  target: "parent",
                },
          );
          break;
        }
        const meant = issue.errors.filter((branch) => !isTypeMismatch(branch));
        const [only] = meant;
        if (meant.length === 1 && only !== undefined) {
          collect(only, path, data, out);
          break;
        }
        const expected = issue.errors
          .flatMap((branch) => (isTypeMismatch(branch) ? [branch[0]?.expected] : []))
          .filter((e): e is string => typeof e === "string");
        out.push({
          path,
          message:
            meant.length === 0 && expected.length > 0
              ? `expected ${[...new Set(expected.map(noun))].join(" or ")}, got ${show(found.value)}`
              : "does not match any of the allowed forms",
          target: "value",
        });
        break;
      }
      case "invalid_type":
        out.push(
          found.present
            ? {
                path,
                message: `expected ${noun(issue.expected)}, got ${show(found.value)}`,
                target: "value",
              }
            : { path, message: "required field is missing", target: "parent" },
        );
        break;
      case "too_big":
      case "too_small":
        out.push({ path, message: sizeMessage(issue, found.value), target: "value" });
        break;
      case "invalid_value": {
        const values = issue.values.map((v) => JSON.stringify(v));
        const want = values.length === 1 ? values[0] : `one of ${values.join(", ")}`;
        out.push({ path, message: `expected ${want}, got ${show(found.value)}`, target: "value" });
        break;
      }
      case "invalid_format":
        out.push({ path, message: `${issue.message} (got ${show(found.value)})`, target: "value" });
        break;
      default:
        out.push({ path, message: issue.message, target: "value" });
    }
  }
}

function sizeMessage(
  issue: Extract<Issue, { code: "too_big" | "too_small" }>,
  value: unknown,
): string {
  const big = issue.code === "too_big";
  const limit = Number(issue.code === "too_big" ? issue.maximum : issue.minimum);
  const inclusive = issue.inclusive !== false;
  const bound = big ? (inclusive ? "at most" : "less than") : inclusive ? "at least" : "more than";
  switch (issue.origin) {
    case "number":
    case "int":
      return `must be ${bound} ${limit}, got ${show(value)}`;
    case "string":
      if (!big && limit === 1 && inclusive) return "must not be empty";
      return `must be ${bound} ${limit} characters long, got ${lengthOf(value)}`;
    case "array":
      if (!big && limit === 1 && inclusive) return "must have at least one item";
      return `must have ${bound} ${limit} items, got ${lengthOf(value)}`;
    default:
      return issue.message;
  }
}

/** A union branch that failed only because the value is of another type entirely. */
function isTypeMismatch(
  branch: readonly Issue[],
): branch is [Extract<Issue, { code: "invalid_type" }>] {
  return branch.length === 1 && branch[0]?.code === "invalid_type" && branch[0].path.length === 0;
}

function noun(expected: string): string {
  switch (expected) {
    case "int":
      return "a whole number";
    case "number":
      return "a number";
    case "string":
      return "a string";
    case "boolean":
      return "true or false";
    case "object":
    case "record":
      return "a map";
    case "array":
      return "a list";
    case "null":
      return "null";
    default:
      return `a ${expected}`;
  }
}

const MAX_SHOWN = 40;

/** What was found, briefly: `1.5`, `"5"`, `a list`, `a map`, `an empty value`. */
function show(value: unknown): string {
  if (value === null || value === undefined) return "an empty value";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a map";
  if (typeof value === "string") {
    const text = JSON.stringify(value);
    return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN - 2)}…"` : text;
  }
  return String(value);
}

function lengthOf(value: unknown): string {
  return typeof value === "string" || Array.isArray(value) ? String(value.length) : show(value);
}

function toSegment(key: PropertyKey): FieldPathSegment {
  return typeof key === "number" ? key : String(key);
}

/** The value at `path` in plain data, looking only at own properties. */
function valueAt(
  data: unknown,
  path: readonly FieldPathSegment[],
): { present: boolean; value: unknown } {
  let value = data;
  for (const segment of path) {
    if (value === null || typeof value !== "object") return { present: false, value: undefined };
    const key = Array.isArray(value) ? segment : String(segment);
    if (!Object.hasOwn(value, key)) return { present: false, value: undefined };
    value = (value as Record<string | number, unknown>)[key];
  }
  return { present: value !== undefined, value };
}
