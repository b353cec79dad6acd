import { describe, expect, it } from "vitest";
import { exampleValue } from "./schema-example.ts";

const context = { seed: "seed-1", text: "find flights to Oslo" };

function example(schema: unknown, name = "value") {
  return exampleValue(schema, { name, context });
}

describe("exampleValue", () => {
  it("is deterministic and varies with the seed", () => {
    const schema = { type: "string", enum: ["a", "b", "c", "d", "e", "f", "g", "h"] };
    expect(example(schema)).toBe(example(schema));
    const seen = new Set(
      Array.from({ length: 20 }, (_, i) =>
        exampleValue(schema, { name: "value", context: { ...context, seed: `s${i}` } }),
      ),
    );
    expect(seen.size).toBeGreaterThan(1);
  });

  it("takes const, enum, default and examples before inventing a value", () => {
    expect(example({ const: 7 })).toBe(7);
    expect(["x", "y"]).toContain(example({ enum: ["x", "y"] }));
    expect(example({ type: "string", default: "dflt" })).toBe("dflt");
    expect(example({ type: "string", examples: ["ex"] })).toBe("ex");
  });

  it("builds strings from the format, then from the property name", () => {
    expect(example({ type: "string", format: "date-time" })).toBe("2025-01-15T09:30:00Z");
    expect(example({ type: "string", format: "email" })).toBe("alex@example.com");
    expect(example({ type: "string", format: "uuid" })).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(example({ type: "string" }, "query")).toBe("find flights to Oslo");
    expect(typeof example({ type: "string" }, "city")).toBe("string");
    expect(example({ type: "string", maxLength: 4 }, "query")).toBe("find");
    expect(example({ type: "string", minLength: 20 }, "x")).toHaveLength(20);
  });

  it("keeps numbers inside their bounds", () => {
    expect(example({ type: "integer", minimum: 10, maximum: 20 })).toBe(15);
    expect(example({ type: "integer", minimum: 100 }, "limit")).toBe(100);
    expect(example({ type: "integer", maximum: 2 }, "limit")).toBe(2);
    expect(example({ type: "number", exclusiveMinimum: 0, exclusiveMaximum: 10 })).toBeGreaterThan(
      0,
    );
    const free = example({ type: "integer" }) as number;
    expect(free).toBeGreaterThanOrEqual(1);
    expect(free).toBeLessThanOrEqual(10);
  });

  it("fills every property of nested objects and arrays", () => {
    const value = example({
      type: "object",
      properties: {
        name: { type: "string" },
        tags: { type: "array", items: { type: "string" }, minItems: 2 },
        address: { type: "object", properties: { country: { type: "string" } } },
        active: { type: ["boolean", "null"] },
        choice: { anyOf: [{ type: "null" }, { type: "integer", minimum: 5, maximum: 5 }] },
      },
    });
    expect(value).toEqual({
      name: "Alex Morgan",
      tags: [expect.any(String), expect.any(String)],
      address: { country: expect.any(String) },
      active: expect.any(Boolean),
      choice: 5,
    });
  });

  it("stops at a nesting depth instead of recursing without end", () => {
    let schema: Record<string, unknown> = { type: "string" };
    for (let i = 0; i < 20; i++) schema = { type: "object", properties: { next: schema } };
    expect(JSON.stringify(example(schema))).toContain("null");
  });
});
