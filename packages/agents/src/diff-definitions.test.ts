import { AgentDefinition, type AgentDefinitionInput } from "@patinox/contracts";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJson } from "./canonical-json.ts";
import { diffDefinitions, type FieldChange, formatFieldChange } from "./diff-definitions.ts";

const base: AgentDefinitionInput = {
  v: 1,
  name: "support",
  model: { name: "simulated-small", fallbacks: [{ name: "simulated-large" }] },
  instructions: "Help customers.",
  tools: [
    { name: "lookup_order", description: "Look up an order.", timeoutMs: 5000 },
    { name: "search_docs", description: "Search the docs." },
  ],
  validators: {
    input: [{ kind: "max_input_size", maxBytes: 1000 }],
    output: [{ kind: "output_max_length", maxChars: 4000 }],
  },
  evolution: { allow: [{ path: "tools.*.timeoutMs", min: 1000, max: 30000 }] },
};

/** The definition `base` with `edit` applied to a copy of its input. */
function variant(edit: (input: AgentDefinitionInput) => void): AgentDefinition {
  const input = structuredClone(base);
  edit(input);
  return AgentDefinition.parse(input);
}

const live = AgentDefinition.parse(base);

const lines = (changes: readonly FieldChange[]) => changes.map(formatFieldChange);

describe("diffDefinitions", () => {
  it("is empty for the same definition, however its keys were ordered", () => {
    const reverseKeys = (value: unknown): unknown => {
      if (Array.isArray(value)) return value.map(reverseKeys);
      if (value === null || typeof value !== "object") return value;
      return Object.fromEntries(
        Object.entries(value)
          .reverse()
          .map(([k, v]) => [k, reverseKeys(v)]),
      );
    };
    const reordered = reverseKeys(live) as AgentDefinition;
    expect(Object.keys(reordered)).not.toEqual(Object.keys(live));
    expect(diffDefinitions(live, live)).toEqual([]);
    expect(diffDefinitions(live, reordered)).toEqual([]);
  });

  it("names a changed field of a tool by the tool's name, with before and after", () => {
    const next = variant((d) => {
      (d.tools ?? [])[0] = {
        name: "lookup_order",
        description: "Look up an order.",
        timeoutMs: 8000,
      };
    });
    expect(diffDefinitions(live, next)).toEqual([
      { path: "tools.lookup_order.timeoutMs", kind: "changed", before: 5000, after: 8000 },
    ]);
    expect(lines(diffDefinitions(live, next))).toEqual([
      "tools.lookup_order.timeoutMs: 5000 → 8000",
    ]);
  });

  it("reports added and removed fields and items", () => {
    const next = variant((d) => {
      d.tools = [(d.tools ?? [])[0] ?? { name: "x", description: "x" }];
      d.model = { ...d.model, temperature: 0.2 };
      d.validators = { input: [], output: [{ kind: "output_max_length", maxChars: 4000 }] };
    });
    expect(lines(diffDefinitions(live, next))).toEqual([
      "model.temperature: (none) → 0.2",
      'tools.search_docs: {"name":"search_docs","description":"Search the docs.","par… → (none)',
      'validators.input.max_input_size: {"kind":"max_input_size","priority":100,"maxBytes":1000} → (none)',
    ]);
  });

  it("reports tools in a new order as a reordering", () => {
    const next = variant((d) => {
      d.tools = [...(d.tools ?? [])].reverse();
    });
    expect(diffDefinitions(live, next)).toEqual([
      {
        path: "tools",
        kind: "reordered",
        before: ["lookup_order", "search_docs"],
        after: ["search_docs", "lookup_order"],
      },
    ]);
    expect(lines(diffDefinitions(live, next))).toEqual([
      "tools order: lookup_order, search_docs → search_docs, lookup_order",
    ]);
  });

  it("addresses items of unnamed lists by index", () => {
    const next = variant((d) => {
      d.evolution = { allow: [{ path: "tools.*.timeoutMs", min: 1000, max: 20000 }] };
    });
    expect(lines(diffDefinitions(live, next))).toEqual(["evolution.allow[0].max: 30000 → 20000"]);
  });

  it("shows a long text shortened, and the whole value in the change", () => {
    const instructions = `${"Be kind. ".repeat(20)}`;
    const next = variant((d) => {
      d.instructions = instructions;
    });
    const [change] = diffDefinitions(live, next);
    expect(change?.after).toBe(instructions);
    expect(formatFieldChange(change as FieldChange)).toBe(
      `instructions: "Help customers." → ${JSON.stringify(instructions).slice(0, 59)}…`,
    );
  });

  it("with nothing live, adds every field", () => {
    const changes = diffDefinitions(undefined, live);
    expect(changes.map((c) => [c.path, c.kind])).toEqual(
      Object.keys(live).map((key) => [key, "added"]),
    );
  });

  it("is empty exactly when the canonical JSON is equal", () => {
    const edits = fc.record({
      timeoutMs: fc.option(fc.integer({ min: 1, max: 600_000 })),
      temperature: fc.option(fc.double({ min: 0, max: 2, noNaN: true })),
      reverseTools: fc.boolean(),
      dropFallbacks: fc.boolean(),
      maxSteps: fc.option(fc.integer({ min: 1, max: 100 })),
    });
    fc.assert(
      fc.property(edits, edits, (a, b) => {
        const build = (e: typeof a) =>
          variant((d) => {
            const tools = d.tools ?? [];
            if (e.timeoutMs !== null && tools[0])
              tools[0] = { ...tools[0], timeoutMs: e.timeoutMs };
            if (e.reverseTools) tools.reverse();
            if (e.temperature !== null) d.model = { ...d.model, temperature: e.temperature };
            if (e.dropFallbacks) d.model = { ...d.model, fallbacks: [] };
            if (e.maxSteps !== null) d.limits = { maxSteps: e.maxSteps };
          });
        const left = build(a);
        const right = build(b);
        const same = canonicalJson(left) === canonicalJson(right);
        expect(diffDefinitions(left, right).length === 0).toBe(same);
      }),
      { numRuns: 300 },
    );
  });
});

describe("canonicalJson", () => {
  it("sorts keys at every level and keeps array order", () => {
    expect(canonicalJson({ b: 1, a: { d: [2, 1], c: undefined } })).toBe('{"a":{"d":[2,1]},"b":1}');
  });

  it("keeps a __proto__ key as data", () => {
    const value = JSON.parse('{"__proto__": {"x": 1}, "a": 2}') as unknown;
    expect(canonicalJson(value)).toBe('{"__proto__":{"x":1},"a":2}');
  });
});
