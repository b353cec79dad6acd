import { describe, expect, it } from "vitest";
import { createSchemaCompiler } from "../schema-compiler.ts";
import {
  createOutputJsonSchemaValidator,
  type OutputJsonSchemaConfig,
} from "./output-json-schema.ts";

const config: OutputJsonSchemaConfig = {
  kind: "output_json_schema",
  priority: 100,
  onViolation: "retry",
  schema: {
    type: "object",
    properties: {
      name: { type: "string" },
      size: { enum: ["small", "large"] },
    },
    required: ["name"],
    additionalProperties: false,
  },
};

const validator = (overrides: Partial<OutputJsonSchemaConfig> = {}) =>
  createOutputJsonSchemaValidator({ ...config, ...overrides }, createSchemaCompiler());

describe("output_json_schema", () => {
  it("approves JSON that matches", () => {
    expect(validator().check('{"name": "tea", "size": "small"}')).toEqual({ verdict: "approve" });
  });

  it("asks again when the output is not JSON, without quoting it", () => {
    const verdict = validator().check("Sure! Here is the answer: tea");

    expect(verdict).toMatchObject({ verdict: "retry", reason: "the output is not valid JSON" });
    expect(JSON.stringify(verdict)).not.toContain("Sure!");
  });

  it("asks again listing every schema error in the feedback, and only counts them in the reason", () => {
    const verdict = validator().check('{"size": "huge", "colour": "red"}');

    expect(verdict.verdict).toBe("retry");
    if (verdict.verdict !== "retry") return;
    expect(verdict.reason).toBe("the output does not match its JSON schema (3 errors)");
    expect(verdict.feedback).toContain("at the top level: must have required property 'name'");
    expect(verdict.feedback).toContain(
      'at the top level: must NOT have additional properties: "colour"',
    );
    expect(verdict.feedback).toContain(
      'at /size: must be equal to one of the allowed values: ["small","large"]',
    );
    expect(verdict.reason).not.toContain("colour");
  });

  it("rejects instead when configured to", () => {
    expect(validator({ onViolation: "reject" }).check("[]")).toEqual({
      verdict: "reject",
      reason: "the output does not match its JSON schema (1 error)",
    });
  });

  it("takes JSON out of a Markdown code fence", () => {
    const v = validator();

    expect(v.modifies).toBe(true);
    expect(v.check('```json\n{"name": "tea"}\n```')).toEqual({
      verdict: "modify",
      value: '{"name": "tea"}',
      reason: "took the JSON out of its code fence",
    });
    expect(v.check('  ```\n{"name": "tea"}\n```  ').verdict).toBe("modify");
  });

  it("does not accept a fence with text around it or a bad fenced body", () => {
    const v = validator();

    expect(v.check('Here:\n```json\n{"name": "tea"}\n```').verdict).toBe("retry");
    expect(v.check('```json\n{"name": 1}\n```').verdict).toBe("retry");
    expect(v.check("```json```").verdict).toBe("retry");
  });

  it("compiles the schema when it is created, not on each check", () => {
    let compiles = 0;
    const compiler = createSchemaCompiler();
    const v = createOutputJsonSchemaValidator(config, (schema) => {
      compiles += 1;
      return compiler(schema);
    });

    for (let i = 0; i < 10; i += 1) v.check('{"name": "x"}');

    expect(compiles).toBe(1);
  });
});
