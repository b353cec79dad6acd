import { Ajv, type ValidateFunction } from "ajv";

/** A JSON Schema object describing a tool's arguments, as the model sees it. */
export type JsonSchemaObject = Readonly<Record<string, unknown>>;

/** One problem with the arguments: a JSON Pointer into them and what is wrong. */
export interface ArgumentIssue {
  readonly path: string;
  readonly message: string;
}

const ajv = new Ajv({ allErrors: true, strict: false });

/**
 * Compiles a tool's `parameters` schema once; the returned function checks an arguments
 * object and lists every problem (capped at 20) in words the model can act on.
 */
export function compileArgumentsSchema(
  schema: JsonSchemaObject,
): (value: unknown) => readonly ArgumentIssue[] {
  const validate: ValidateFunction = ajv.compile(schema);
  return (value) => {
    if (validate(value)) return [];
    return (validate.errors ?? []).slice(0, 20).map((error) => ({
      path: error.instancePath === "" ? "/" : error.instancePath,
      message: error.message ?? "is invalid",
    }));
  };
}
