import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { formatProblem } from "./definition-problem.ts";
import { DefinitionSourceUnreadable, InvalidDefinition } from "./errors.ts";
import { loadDefinitionFile, loadDefinitions } from "./load-definitions.ts";

const definition = (name: string) =>
  `v: 1\nname: ${name}\nmodel:\n  name: simulated-small\ninstructions: Help.\n`;

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "patinox-agents-"));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The error `promise` rejects with. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection");
}

describe("loadDefinitions", () => {
  it("loads every *.yaml and *.yml file of a directory in name order, and nothing else", async () => {
    await writeFile(join(dir, "triage.yml"), definition("triage"));
    await writeFile(join(dir, "support.yaml"), definition("support"));
    await writeFile(join(dir, "README.md"), "# not a definition");
    await mkdir(join(dir, "nested.yaml"));

    const loaded = await loadDefinitions(dir);

    expect(loaded.map((d) => [d.file, d.definition.name])).toEqual([
      [join(dir, "support.yaml"), "support"],
      [join(dir, "triage.yml"), "triage"],
    ]);
  });

  it("loads a single file", async () => {
    const file = join(dir, "support.yaml");
    await writeFile(file, definition("support"));

    expect((await loadDefinitions(file)).map((d) => d.definition.name)).toEqual(["support"]);
    expect((await loadDefinitionFile(file)).definition.name).toBe("support");
  });

  it("collects the problems of every file into one error", async () => {
    await writeFile(join(dir, "a.yaml"), definition("a").replace("v: 1", "v: 2"));
    await writeFile(join(dir, "b.yaml"), definition("b"));
    await writeFile(join(dir, "c.yaml"), "name: [\n");
    await writeFile(join(dir, "d.yaml"), new Uint8Array([0xff, 0xfe, 0x00]));

    const error = await rejection(loadDefinitions(dir));

    expect(error).toBeInstanceOf(InvalidDefinition);
    expect((error as InvalidDefinition).problems.map(formatProblem)).toEqual([
      `${join(dir, "a.yaml")}:1:4 v: expected 1, got 2`,
      `${join(dir, "c.yaml")}:2:1 invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]`,
      `${join(dir, "d.yaml")}:1:1 the file is not UTF-8 text`,
    ]);
    expect((error as InvalidDefinition).message.split("\n")[0]).toBe(
      "invalid agent definition (3 problems in 3 files):",
    );
  });

  it("refuses two files defining the same agent", async () => {
    await writeFile(join(dir, "support.yaml"), definition("support"));
    await writeFile(join(dir, "support.yml"), definition("support"));

    const error = await rejection(loadDefinitions(dir));

    expect((error as InvalidDefinition).problems.map(formatProblem)).toEqual([
      `${join(dir, "support.yml")}:1:1 agent support is also defined in ${join(dir, "support.yaml")}`,
    ]);
  });

  it("says when a path does not exist or a directory holds no definition", async () => {
    const missing = join(dir, "missing");
    const error = await rejection(loadDefinitions(missing));
    expect(error).toBeInstanceOf(DefinitionSourceUnreadable);
    expect((error as Error).message).toBe(
      `cannot read agent definitions from ${missing}: no such file or directory`,
    );

    const empty = await rejection(loadDefinitions(dir));
    expect((empty as Error).message).toBe(
      `cannot read agent definitions from ${dir}: the directory holds no *.yaml or *.yml file`,
    );
  });
});

describe("InvalidDefinition", () => {
  it("becomes a config_invalid PatinoxError with the problems as details", async () => {
    await writeFile(join(dir, "a.yaml"), definition("a").replace("v: 1", "v: 2"));
    const error = (await rejection(loadDefinitionFile(join(dir, "a.yaml")))) as InvalidDefinition;

    const wire = error.toPatinoxError().toWire();

    expect(wire).toMatchObject({
      code: "config_invalid",
      message: "invalid agent definition (1 problem in 1 file):",
      details: { problems: [`${join(dir, "a.yaml")}:1:4 v: expected 1, got 2`] },
    });
  });
});
