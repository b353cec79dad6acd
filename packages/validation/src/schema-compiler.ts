import { type JsonSchemaObject, MAX_SCHEMA_ISSUES, type SchemaIssue } from "@patinox/contracts";
import { Ajv, type ErrorObject, type Options } from "ajv";
import { Ajv2020 } from "ajv/dist/2020.js";

/** A JSON Schema compiled once, checked many times. */
export interface CompiledSchema {
  /** The problems with `value`, at most `MAX_SCHEMA_ISSUES`; empty when it matches. */
  check(value: unknown): readonly SchemaIssue[];
}

/** Compiles a JSON Schema; throws when the schema itself is invalid. */
export type SchemaCompiler = (schema: JsonSchemaObject) => CompiledSchema;

/**
 * - `allErrors`: the model is told everything to fix in one retry, not one problem per retry.
 * - `strict: false`: schemas are written by agent authors, and annotations ajv does not know
 *   (`example`, `x-…`) are legal JSON Schema; strict mode would refuse them.
 * - `validateFormats: false`: format checks need `ajv-formats`, which is not a dependency;
 *   `format` is an annotation here, said so rather than half-checked.
 * - `logger: false`: ajv would otherwise write warnings to the console.
 */
const OPTIONS: Options = { allErrors: true, strict: false, validateFormats: false, logger: false };

const DRAFT_07 = /^https?:\/\/json-schema\.org\/draft-07\/schema#?$/;

const MAX_MESSAGE = 300;

const NO_ISSUES: readonly SchemaIssue[] = Object.freeze([]);

/**
 * A compiler with its own ajv instances: draft 2020-12 (what OpenAI's structured outputs and
 * tool parameters follow) unless the schema's `$schema` names draft-07. Make one per agent
 * definition version, so its compiled schemas are released with it and `$id`s of different
 * agents never collide.
 */
export function createSchemaCompiler(): SchemaCompiler {
  let draft2020: Ajv2020 | undefined;
  let draft07: Ajv | undefined;
  const ajvFor = (schema: JsonSchemaObject): Ajv | Ajv2020 => {
    if (typeof schema.$schema === "string" && DRAFT_07.test(schema.$schema)) {
      draft07 ??= new Ajv(OPTIONS);
      return draft07;
    }
    draft2020 ??= new Ajv2020(OPTIONS);
    return draft2020;
  };
  return (schema) => {
    const ajv = ajvFor(schema);
    const validate = ajv.compile(schema);
    return {
      check(value: unknown): readonly SchemaIssue[] {
        // Synchronous, so `validate.errors` still belongs to this call when read.
        if (validate(value)) return NO_ISSUES;
        return (validate.errors ?? []).slice(0, MAX_SCHEMA_ISSUES).map(toIssue);
      },
    };
  };
}

function toIssue(error: ErrorObject): SchemaIssue {
  return { path: error.instancePath, message: clip(describe(error)) };
}

/** ajv's message, with the detail it leaves in `params` where that is what the model needs. */
function describe(error: ErrorObject): string {
  const message = error.message ?? "is invalid";
  const params: Record<string, unknown> = error.params;
  if (error.keyword === "additionalProperties" && typeof params.additionalProperty === "string") {
    return `${message}: "${params.additionalProperty}"`;
  }
  if (error.keyword === "enum" && Array.isArray(params.allowedValues)) {
    return `${message}: ${safeJson(params.allowedValues)}`;
  }
  if (error.keyword === "const") return `${message}: ${safeJson(params.allowedValue)}`;
  return message;
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

function clip(text: string): string {
  return text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE - 1)}…` : text;
}
