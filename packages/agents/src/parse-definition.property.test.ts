import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { InvalidDefinition } from "./errors.ts";
import { parseDefinition } from "./parse-definition.ts";

const FILE = "agents/support.yaml";

/** Parses `text` and checks the outcome is a definition or a well-formed typed error. */
function checkOutcome(text: string): void {
  let result: ReturnType<typeof parseDefinition>;
  try {
    result = parseDefinition(text, FILE);
  } catch (error) {
    throw new Error(`parseDefinition threw ${String(error)}`);
  }
  if (result.ok) return;
  expect(result.error).toBeInstanceOf(InvalidDefinition);
  expect(result.error.problems.length).toBeGreaterThan(0);
  const lines = text.split(/\r\n|\r|\n/).length;
  for (const problem of result.error.problems) {
    expect(problem.file).toBe(FILE);
    expect(problem.line).toBeGreaterThanOrEqual(1);
    expect(problem.line).toBeLessThanOrEqual(lines + 1);
    expect(problem.column).toBeGreaterThanOrEqual(1);
    expect(problem.message).not.toBe("");
  }
}

/** Pieces of YAML that exercise its syntax: indentation, flow, anchors, tags, scalars. */
const yamlPiece = fc.constantFrom(
  "v: 1",
  "name: support",
  "model:",
  "  name: m",
  "instructions: |",
  "  text",
  "tools:",
  "  - name: t",
  "    description: d",
  "    timeoutMs: 1.5",
  "- a",
  "{",
  "}",
  "[",
  "]",
  ": ",
  "? ",
  "&a",
  "*a",
  "*b",
  "!!str",
  "!!binary x",
  "!custom",
  "---",
  "...",
  "%YAML 1.2",
  "#",
  "\t",
  '"',
  "'",
  "<<: *a",
  "__proto__: {}",
  "constructor: 1",
  ".inf",
  "0x1F",
  "~",
);

describe("parseDefinition on any input", () => {
  it("never throws on arbitrary text: a definition or an InvalidDefinition", () => {
    fc.assert(fc.property(fc.string({ unit: "binary", maxLength: 400 }), checkOutcome), {
      numRuns: 500,
    });
  });

  it("never throws on YAML-shaped text, and every problem points inside the text", () => {
    const text = fc
      .array(fc.tuple(fc.nat({ max: 6 }), yamlPiece, yamlPiece), { maxLength: 30 })
      .map((lines) => lines.map(([indent, a, b]) => `${" ".repeat(indent)}${a} ${b}`).join("\n"));
    fc.assert(fc.property(text, checkOutcome), { numRuns: 500 });
  });

  it("never throws on any JSON value written as YAML", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => checkOutcome(stringify(value))),
      { numRuns: 300 },
    );
  });

  it("never throws on a valid definition with any field replaced by any JSON value", () => {
    const base = {
      v: 1,
      name: "support",
      model: { name: "simulated-small", temperature: 0.2 },
      instructions: "Help.",
      tools: [{ name: "lookup_order", description: "Look up an order.", timeoutMs: 5000 }],
      limits: { maxSteps: 4 },
    };
    const paths = [
      ["v"],
      ["name"],
      ["model"],
      ["model", "name"],
      ["model", "temperature"],
      ["instructions"],
      ["tools"],
      ["tools", 0],
      ["tools", 0, "timeoutMs"],
      ["limits", "maxSteps"],
      ["validators"],
      ["evolution", "allow"],
    ] as const;
    fc.assert(
      fc.property(fc.constantFrom(...paths), fc.jsonValue({ maxDepth: 3 }), (path, value) => {
        const copy = structuredClone(base) as Record<string, unknown>;
        let target: Record<string | number, unknown> = copy;
        for (const key of path.slice(0, -1)) {
          target[key] ??= {};
          target = target[key] as Record<string | number, unknown>;
        }
        target[path[path.length - 1] as string | number] = value;
        checkOutcome(stringify(copy));
      }),
      { numRuns: 300 },
    );
  });
});
