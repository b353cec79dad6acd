import type { GitHubDescription, Schema } from "./openapi.ts";

const PLACEHOLDER_URL = "https://github.test/placeholder";
const EPOCH = "2026-01-01T00:00:00Z";

/**
 * The smallest value that satisfies a schema of the description: every required property
 * filled with a plain value of its type and format (first enum value, first branch of a
 * `oneOf`, `null` where nullable). Responses start from it and lay the repository's real
 * state over it, so they carry every field GitHub documents as required without the server
 * spelling out a hundred fields of a repository object by hand.
 */
export function synthesize(description: GitHubDescription, schema: unknown, depth = 0): unknown {
  const s = description.resolve<Schema>(schema);
  if (!s || depth > 24) return null;
  if (Array.isArray(s.allOf)) {
    return (s.allOf as unknown[]).reduce<unknown>(
      (acc, part) => merge(acc, synthesize(description, part, depth + 1)),
      {},
    );
  }
  const choice = (s.oneOf ?? s.anyOf) as unknown[] | undefined;
  if (Array.isArray(choice) && choice.length > 0)
    return synthesize(description, choice[0], depth + 1);
  if (s.nullable === true && s.type !== "array") return null;
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[0];
  if (s.default !== undefined) return s.default;
  switch (s.type) {
    case "string":
      return stringOf(String(s.format ?? ""), Number(s.minLength ?? 0));
    case "integer":
    case "number":
      return typeof s.minimum === "number" ? s.minimum : 1;
    case "boolean":
      return false;
    case "array": {
      const min = Number(s.minItems ?? 0);
      return Array.from({ length: min }, () => synthesize(description, s.items, depth + 1));
    }
    default: {
      const properties = (s.properties ?? {}) as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const name of (s.required ?? []) as string[]) {
        out[name] = synthesize(description, properties[name] ?? {}, depth + 1);
      }
      return out;
    }
  }
}

/** Lays `overlay` over `base`: objects merge key by key, anything else replaces. */
export function merge(base: unknown, overlay: unknown): unknown {
  if (isPlainObject(base) && isPlainObject(overlay)) {
    const out: Record<string, unknown> = { ...base };
    for (const [key, value] of Object.entries(overlay)) {
      if (value === undefined) continue;
      out[key] = key in out ? merge(out[key], value) : value;
    }
    return out;
  }
  return overlay === undefined ? base : overlay;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function stringOf(format: string, minLength: number): string {
  switch (format) {
    case "date-time":
      return EPOCH;
    case "date":
      return "2026-01-01";
    case "uri":
    case "url":
      return PLACEHOLDER_URL;
    case "uri-template":
      return `${PLACEHOLDER_URL}{/id}`;
    case "email":
      return "octocat@github.test";
    case "uuid":
      return "00000000-0000-4000-8000-000000000000";
    default:
      return "x".repeat(Math.max(1, minLength));
  }
}
