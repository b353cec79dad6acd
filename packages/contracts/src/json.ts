import { z } from "zod";

/** Any value JSON can carry: what `JSON.parse` returns. */
export type JsonValue =
  | string
  | number
  | boolean
  | null
  | JsonValue[]
  | { [key: string]: JsonValue };

/** A JSON object: the shape of error `details` and other open-ended fields. */
export type JsonObject = { [key: string]: JsonValue };

/**
 * Schema for any JSON value (finite numbers only). Named `JsonValue` in the generated JSON
 * Schemas, where it appears under `$defs`.
 */
export const JsonValue: z.ZodType<JsonValue, JsonValue> = z.json().meta({ id: "JsonValue" });

/** Schema for a JSON object whose values are any JSON value. */
export const JsonObject: z.ZodType<JsonObject, JsonObject> = z.record(z.string(), JsonValue);
