import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { AgentDefinition } from "@patinox/contracts";
import { describe, expect, it } from "vitest";
import { loadDefinitions } from "./load-definitions.ts";

const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const EXAMPLES = `${REPO_ROOT}examples/agents`;

describe("the example agents in examples/agents", () => {
  it("all validate, each named after its file", async () => {
    const loaded = await loadDefinitions(EXAMPLES);

    expect(loaded.map((d) => d.definition.name)).toEqual(["summarizer", "support", "triage"]);
    for (const { definition } of loaded) {
      expect(AgentDefinition.parse(definition)).toEqual(definition);
      // The local stack serves a simulated model: every example runs offline as it is.
      expect(definition.model.name).toContain("simulated");
    }
  });

  it("point editors at the generated JSON Schema", async () => {
    for (const name of ["summarizer", "support", "triage"]) {
      const text = await readFile(`${EXAMPLES}/${name}.yaml`, "utf8");
      expect(text.split("\n")[0]).toBe(
        "# yaml-language-server: $schema=../../docs/schemas/AgentDefinition.json",
      );
    }
    await expect(
      readFile(`${REPO_ROOT}docs/schemas/AgentDefinition.json`, "utf8"),
    ).resolves.toContain('"instructions"');
  });

  it("support looks orders up and searches the docs, within evolution bounds", async () => {
    const [support] = (await loadDefinitions(`${EXAMPLES}/support.yaml`)).map((d) => d.definition);

    expect(support?.tools.map((t) => t.name)).toEqual(["lookup_order", "search_docs"]);
    expect(support?.evolution.allow.map((r) => r.path)).toEqual([
      "tools.*.timeoutMs",
      "tools.*.retries",
      "model.maxOutputTokens",
    ]);
  });
});
