import { describe, expect, it } from "vitest";
import { createSchemaCompiler } from "./schema-compiler.ts";

describe("createSchemaCompiler", () => {
  it("uses draft 2020-12 by default (prefixItems)", () => {
    const schema = createSchemaCompiler()({
      type: "object",
      properties: {
        pair: { type: "array", prefixItems: [{ type: "string" }, { type: "number" }] },
      },
    });

    expect(schema.check({ pair: ["a", 1] })).toEqual([]);
    expect(schema.check({ pair: [1, "a"] })).toEqual([
      { path: "/pair/0", message: "must be string" },
      { path: "/pair/1", message: "must be number" },
    ]);
  });

  it("uses draft-07 when the schema says so", () => {
    const schema = createSchemaCompiler()({
      $schema: "http://json-schema.org/draft-07/schema#",
      type: "object",
      definitions: { id: { type: "integer" } },
      properties: { id: { $ref: "#/definitions/id" } },
    });

    expect(schema.check({ id: 3 })).toEqual([]);
    expect(schema.check({ id: "3" })).toEqual([{ path: "/id", message: "must be integer" }]);
  });

  it("accepts annotations it does not know and treats format as an annotation", () => {
    const schema = createSchemaCompiler()({
      type: "object",
      "x-owner": "team",
      properties: { email: { type: "string", format: "email" } },
    });

    expect(schema.check({ email: "not an email" })).toEqual([]);
  });

  it("throws on a schema that is not valid JSON Schema", () => {
    expect(() =>
      createSchemaCompiler()({ type: "object", properties: { a: { type: "no-such-type" } } }),
    ).toThrow();
  });

  it("keeps $ids of different compilers apart", () => {
    const schema = { type: "object", $id: "https://example.com/s" } as const;

    expect(() => {
      createSchemaCompiler()(schema);
      createSchemaCompiler()(schema);
    }).not.toThrow();
  });
});
