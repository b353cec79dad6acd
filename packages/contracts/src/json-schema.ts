import { z } from "zod";
import { WIRE_SCHEMAS, type WireSchemaName } from "./catalogue.ts";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Keywords placed first, in this order; the rest follow alphabetically. */
const HEAD = [
  "$schema",
  "$id",
  "$ref",
  "title",
  "description",
  "type",
  "const",
  "enum",
  "properties",
  "required",
  "additionalProperties",
];

/** Keywords whose value is data, copied as it is. */
const DATA = new Set(["const", "enum", "default", "examples", "required"]);

function rank(key: string): number {
  const i = HEAD.indexOf(key);
  return i === -1 ? HEAD.length : i;
}

function byKeyword(a: string, b: string): number {
  return rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0);
}

/** A schema with its keywords in a fixed order, so the output does not depend on zod's traversal. */
function canonical(node: Json): Json {
  if (Array.isArray(node)) return node.map(canonical);
  if (node === null || typeof node !== "object") return node;
  const out: { [key: string]: Json } = {};
  for (const key of Object.keys(node).sort(byKeyword)) {
    const value = node[key] as Json;
    if (DATA.has(key)) out[key] = value;
    else if (
      key === "properties" &&
      value !== null &&
      typeof value === "object" &&
      !Array.isArray(value)
    ) {
      // Declared order is documentation: keep it.
      out[key] = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, canonical(v)]));
    } else if (
      key === "$defs" &&
      value !== null &&
      typeof value === "object" &&
      !Array.isArray(value)
    ) {
      out[key] = Object.fromEntries(
        Object.keys(value)
          .sort()
          .map((k) => [k, canonical(value[k] as Json)]),
      );
    } else out[key] = canonical(value);
  }
  return out;
}

/**
 * zod marks every plain object `additionalProperties: false` in output mode; tolerant
 * schemas (plain `z.object`, which strips unknown keys) must say unknown keys are allowed.
 */
function keepTolerance(ctx: {
  zodSchema: z.core.$ZodTypes;
  jsonSchema: z.core.JSONSchema.BaseSchema;
}): void {
  const def = ctx.zodSchema._zod.def;
  if (def.type === "object" && def.catchall === undefined)
    delete ctx.jsonSchema.additionalProperties;
}

/** Whether a schema rejects unknown keys at its top level (a strict object). */
export function rejectsUnknownFields(schema: z.ZodType): boolean {
  const def = (schema as unknown as z.core.$ZodTypes)._zod.def;
  return def.type === "object" && def.catchall?._zod.def.type === "never";
}

/**
 * The JSON Schema (draft 2020-12) of a schema in `WIRE_SCHEMAS`, titled with its name, with
 * keywords in a fixed order. Strict objects say `additionalProperties: false`; tolerant ones
 * leave unknown keys allowed.
 */
export function wireJsonSchema(name: WireSchemaName): Record<string, unknown> {
  const entry = WIRE_SCHEMAS[name];
  const generated = z.toJSONSchema(entry.schema, {
    target: "draft-2020-12",
    io: entry.io,
    unrepresentable: "throw",
    cycles: "ref",
    reused: "inline",
    override: keepTolerance,
  }) as { [key: string]: Json };
  return canonical({ ...generated, title: name }) as Record<string, unknown>;
}
