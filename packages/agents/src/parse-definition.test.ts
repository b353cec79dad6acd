import { describe, expect, it } from "vitest";
import { formatProblem } from "./definition-problem.ts";
import { parseDefinition } from "./parse-definition.ts";

const FILE = "examples/agents/support.yaml";

/** A minimal valid definition; tests change one thing in it. */
const VALID = `# yaml-language-server: $schema=../../docs/schemas/AgentDefinition.json
v: 1
name: support
model:
  name: simulated-small
instructions: Help customers.
tools:
  - name: lookup_order
    description: Look up an order.
    timeoutMs: 5000
`;

/** The formatted problems of `text`, or a failure if it parsed. */
function problemsOf(text: string, file = FILE): string[] {
  const result = parseDefinition(text, file);
  if (result.ok) throw new Error("expected the definition to be invalid");
  return result.error.problems.map(formatProblem);
}

describe("parseDefinition", () => {
  it("returns the definition with defaults filled in and the SHA-256 of the text", () => {
    const result = parseDefinition(VALID, FILE);

    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.file).toBe(FILE);
    expect(result.value.definition.tools[0]).toEqual({
      name: "lookup_order",
      description: "Look up an order.",
      parameters: { type: "object", properties: {} },
      timeoutMs: 5000,
      retries: 1,
    });
    expect(result.value.definition.limits.maxSteps).toBe(8);
    expect(result.value.sourceHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it("points a value of the wrong type at the value: file:line:col field", () => {
    const text = VALID.replace("timeoutMs: 5000", "timeoutMs: 1.5");
    expect(problemsOf(text)).toEqual([
      "examples/agents/support.yaml:10:16 tools[0].timeoutMs: expected a whole number, got 1.5",
    ]);
  });

  it("points an unknown field at its key", () => {
    const text = VALID.replace(
      "  name: simulated-small\n",
      "  name: simulated-small\n  colour: blue\n",
    );
    expect(problemsOf(text)).toEqual([
      "examples/agents/support.yaml:6:3 model.colour: unknown field",
    ]);
  });

  it("points a missing field at the map that lacks it", () => {
    const text = VALID.replace("  name: simulated-small\n", "  temperature: 0.2\n");
    expect(problemsOf(text)).toEqual([
      "examples/agents/support.yaml:5:3 model.name: required field is missing",
    ]);
  });

  it("points a missing top-level field at the document's map", () => {
    const text = VALID.replace("instructions: Help customers.\n", "");
    expect(problemsOf(text)).toEqual([
      "examples/agents/support.yaml:2:1 instructions: required field is missing",
    ]);
  });

  it("gives YAML syntax errors their line and column, and checks nothing further", () => {
    const text = VALID.replace("  name: simulated-small", "  name: simulated-small\n  name: again");
    expect(problemsOf(text)).toEqual([
      "examples/agents/support.yaml:6:3 invalid YAML: Map keys must be unique",
    ]);
    expect(problemsOf("v: 1\nname: support\nmodel: {name: m\ninstructions: x\n")).toEqual([
      "examples/agents/support.yaml:4:1 invalid YAML: Flow map in block collection must be sufficiently indented and end with a }",
    ]);
  });

  it("lists every problem of a file, in line order", () => {
    const text = `v: 2
name: support
model:
  name: simulated-small
  temperature: 3
instructions: ""
tools:
  - name: lookup_order
    description: Look up an order.
    retries: "2"
    extra: true
validators:
  input:
    - kind: nope
    - kind: deny_patterns
      patterns: ["("]
`;
    expect(problemsOf(text)).toEqual([
      "examples/agents/support.yaml:1:4 v: expected 1, got 2",
      "examples/agents/support.yaml:5:16 model.temperature: must be at most 2, got 3",
      "examples/agents/support.yaml:6:15 instructions: must not be empty",
      'examples/agents/support.yaml:10:14 tools[0].retries: expected a number, got "2"',
      "examples/agents/support.yaml:11:5 tools[0].extra: unknown field",
      'examples/agents/support.yaml:14:13 validators.input[0].kind: expected one of max_input_size, deny_patterns, prompt_injection, pii_redaction, got "nope"',
      "examples/agents/support.yaml:16:18 validators.input[1].patterns[0]: not a valid regular expression",
    ]);
  });

  it("requires the file to be named after the agent", () => {
    expect(problemsOf(VALID, "agents/helpdesk.yaml")).toEqual([
      "agents/helpdesk.yaml:3:7 name: the file must be named after the agent: expected support.yaml, got helpdesk.yaml",
    ]);
    expect(parseDefinition(VALID, "agents/support.yml").ok).toBe(true);
    expect(parseDefinition(VALID, "<stdin>", { checkFileName: false }).ok).toBe(true);
  });

  it("reports a duplicate tool name at the second tool", () => {
    const text = `${VALID}  - name: lookup_order\n    description: Again.\n`;
    expect(problemsOf(text)).toEqual([
      "examples/agents/support.yaml:11:11 tools[1].name: tool names must be unique",
    ]);
  });

  it("says an empty file is empty, and a file that is not a map is not a definition", () => {
    expect(problemsOf("")).toEqual([
      "examples/agents/support.yaml:1:1 the file is empty; expected an agent definition (v, name, model, instructions…)",
    ]);
    expect(problemsOf("# only a comment\n- a\n- b\n")).toEqual([
      "examples/agents/support.yaml:2:1 expected a map, got a list",
    ]);
  });

  it("follows aliases to where the value is written", () => {
    const text = `v: 1
name: support
model: &m
  name: simulated-small
  tempo: 1
instructions: x
`;
    expect(problemsOf(text)).toEqual([
      "examples/agents/support.yaml:5:3 model.tempo: unknown field",
    ]);
  });

  it("refuses a second document and keys that are lists or maps", () => {
    expect(problemsOf(`${VALID}---\nv: 1\n`)).toEqual([
      "examples/agents/support.yaml:11:1 invalid YAML: a definition file holds one document, this is a second (---)",
    ]);
    expect(problemsOf(`${VALID}? [a, b]\n: c\n`)).toEqual([
      "examples/agents/support.yaml:11:3 a key must be a plain name, not a list or a map",
    ]);
  });

  it("refuses a document that expands too many aliases", () => {
    const laughs = [
      "a: &a [x, x, x, x, x, x, x, x, x, x]",
      ...Array.from({ length: 6 }, (_, i) => {
        const prev = i === 0 ? "a" : `l${i - 1}`;
        return `l${i}: &l${i} [*${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}]`;
      }),
    ].join("\n");
    const problems = problemsOf(laughs);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^examples\/agents\/support\.yaml:1:1 invalid YAML: /);
  });
});
