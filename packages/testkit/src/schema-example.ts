import { createHash } from "node:crypto";
import type { JsonSchema } from "./chat-request.ts";

/** What an example value may draw on besides the schema. */
export interface ExampleContext {
  /** Makes choices (enum member, city, number) vary between inputs but never between runs. */
  readonly seed: string;
  /** Free text for fields such as `query` or `text`, usually the user's last message. */
  readonly text: string;
}

/** Nesting beyond this gives `null`, so recursive or huge schemas stay cheap. */
const maxDepth = 6;
const cities = ["Lisbon", "Oslo", "Nairobi", "Montreal", "Kyoto", "Valparaíso"];
const countries = ["Portugal", "Norway", "Kenya", "Canada", "Japan", "Chile"];

function isSchema(value: unknown): value is JsonSchema {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A number from 0 to `size - 1` fixed by the seed and the field name. */
function choose(context: ExampleContext, name: string, size: number): number {
  const digest = createHash("sha256").update(`${context.seed}\u0000${name}`).digest();
  return digest.readUInt32BE(0) % size;
}

function pick<T>(list: readonly T[], context: ExampleContext, name: string): T {
  return list[choose(context, name, list.length)] as T;
}

function clip(text: string, length: number): string {
  return text.length <= length ? text : text.slice(0, length);
}

function declaredType(schema: JsonSchema): string | undefined {
  const { type } = schema;
  if (typeof type === "string") return type;
  if (Array.isArray(type)) return type.find((t) => t !== "null") ?? "null";
  if (isSchema(schema.properties)) return "object";
  if (schema.items !== undefined) return "array";
  return undefined;
}

function stringByFormat(
  format: unknown,
  name: string,
  context: ExampleContext,
): string | undefined {
  switch (format) {
    case "date-time":
      return "2025-01-15T09:30:00Z";
    case "date":
      return "2025-01-15";
    case "time":
      return "09:30:00";
    case "email":
      return "alex@example.com";
    case "uri":
    case "url":
      return `https://example.com/${name}`;
    case "uuid": {
      const hex = createHash("sha256").update(`${context.seed}\u0000${name}`).digest("hex");
      return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
    }
    default:
      return undefined;
  }
}

function stringByName(name: string, context: ExampleContext): string {
  const key = name.toLowerCase();
  if (/city|location|place|destination/.test(key)) return pick(cities, context, name);
  if (/country/.test(key)) return pick(countries, context, name);
  if (/e-?mail/.test(key)) return "alex@example.com";
  if (/url|link|href|website/.test(key)) return `https://example.com/${name}`;
  if (/^(q|query|question|search|text|input|prompt|message|topic|content|body)$/.test(key)) {
    return clip(context.text.trim(), 200) || `example ${name}`;
  }
  if (/lang|locale/.test(key)) return "en";
  if (/unit/.test(key)) return "celsius";
  if (/date/.test(key)) return "2025-01-15";
  if (/name/.test(key)) return "Alex Morgan";
  if (/id$/.test(key)) return `${name}-${choose(context, name, 100_000)}`;
  return `example ${name}`;
}

function stringExample(schema: JsonSchema, name: string, context: ExampleContext): string {
  let value = stringByFormat(schema.format, name, context) ?? stringByName(name, context);
  const { minLength, maxLength } = schema;
  if (typeof maxLength === "number") value = value.slice(0, maxLength);
  if (typeof minLength === "number" && value.length < minLength)
    value = value.padEnd(minLength, "x");
  return value;
}

function numberExample(schema: JsonSchema, name: string, context: ExampleContext): number {
  const min = typeof schema.minimum === "number" ? schema.minimum : undefined;
  const max = typeof schema.maximum === "number" ? schema.maximum : undefined;
  const exclusiveMin =
    typeof schema.exclusiveMinimum === "number" ? schema.exclusiveMinimum + 1 : undefined;
  const exclusiveMax =
    typeof schema.exclusiveMaximum === "number" ? schema.exclusiveMaximum - 1 : undefined;
  const low = min ?? exclusiveMin;
  const high = max ?? exclusiveMax;
  if (low !== undefined && high !== undefined) return Math.ceil(low + (high - low) / 2);
  const key = name.toLowerCase();
  const guess = /count|limit|max|top|size|^n$/.test(key)
    ? 3
    : /year/.test(key)
      ? 2025
      : /age/.test(key)
        ? 30
        : 1 + choose(context, name, 10);
  if (low !== undefined) return Math.max(Math.ceil(low), guess);
  if (high !== undefined) return Math.min(Math.floor(high), guess);
  return guess;
}

function objectExample(
  schema: JsonSchema,
  context: ExampleContext,
  depth: number,
): Record<string, unknown> {
  const value: Record<string, unknown> = {};
  if (!isSchema(schema.properties)) return value;
  for (const [property, sub] of Object.entries(schema.properties)) {
    value[property] = exampleValue(sub, { name: property, context, depth: depth + 1 });
  }
  return value;
}

/** Where in a schema an example is being built. */
export interface ExamplePosition {
  /** The property (or tool) name, which steers plausible strings and numbers. */
  readonly name: string;
  readonly context: ExampleContext;
  /** @default 0 */
  readonly depth?: number;
}

/**
 * A plausible value that satisfies a JSON Schema in the common cases: `const`, `enum`,
 * `default`, `examples`, the first branch of `anyOf`/`oneOf`/`allOf`, strings (by `format`, then
 * by the property's name: a city for `city`, the user's text for `query`), bounded numbers,
 * booleans, arrays of one item (or `minItems`) and objects with every declared property.
 * Deterministic: the same schema, name and context always give the same value. `$ref` and
 * `pattern` are not resolved.
 */
export function exampleValue(schema: unknown, position: ExamplePosition): unknown {
  const { name, context, depth = 0 } = position;
  if (!isSchema(schema) || depth > maxDepth) return depth > maxDepth ? null : `example ${name}`;
  if ("const" in schema) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return pick(schema.enum, context, name);
  if ("default" in schema) return schema.default;
  if (Array.isArray(schema.examples) && schema.examples.length > 0) return schema.examples[0];
  const branches = schema.anyOf ?? schema.oneOf ?? schema.allOf;
  if (Array.isArray(branches) && branches.length > 0) {
    const branch = branches.find((b) => !isSchema(b) || b.type !== "null") ?? branches[0];
    return exampleValue(branch, { name, context, depth: depth + 1 });
  }
  switch (declaredType(schema)) {
    case "object":
      return objectExample(schema, context, depth);
    case "array": {
      const count = Math.min(
        Math.max(typeof schema.minItems === "number" ? schema.minItems : 1, 1),
        3,
      );
      return Array.from({ length: count }, (_, i) =>
        exampleValue(schema.items, {
          name,
          context: i === 0 ? context : { ...context, seed: `${context.seed}#${i}` },
          depth: depth + 1,
        }),
      );
    }
    case "integer":
    case "number":
      return numberExample(schema, name, context);
    case "boolean":
      return choose(context, name, 2) === 0;
    case "null":
      return null;
    default:
      return stringExample(schema, name, context);
  }
}
