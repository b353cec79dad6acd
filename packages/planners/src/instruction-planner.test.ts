import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseDefinition } from "@patinox/agents";
import { type AgentDefinition, Finding } from "@patinox/contracts";
import { ModelServer, ModelStep } from "@patinox/testkit";
import OpenAI from "openai";
import { afterEach, describe, expect, it } from "vitest";
import { applyChangesToYaml } from "./apply-to-yaml.ts";
import { planInstructionChange } from "./instruction-planner.ts";

const TEXT = readFileSync(
  fileURLToPath(new URL("../../../examples/agents/support.yaml", import.meta.url)),
  "utf8",
);

function support(allowInstructions: boolean): AgentDefinition {
  const parsed = parseDefinition(TEXT, "support.yaml");
  if (!parsed.ok) throw parsed.error;
  const d = structuredClone(parsed.value.definition);
  if (allowInstructions) d.evolution.allow.push({ path: "instructions" });
  return d;
}

const finding = Finding.parse({
  v: 1,
  fingerprint: "validator_rejections-1",
  kind: "validator_rejections",
  agent: "support",
  target: "no_internal_links",
  status: "open",
  severity: "warning",
  confidence: 0.99,
  evidence: { numbers: { rate: 0.2 }, windows: [1] },
  firstSeen: "2026-01-01T00:00:00.000Z",
  lastSeen: "2026-01-01T00:00:00.000Z",
});

let server: ModelServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function client(...steps: ModelStep[]): Promise<OpenAI> {
  server = await ModelServer.start({ apiKey: "sk-test-planner", script: steps });
  return new OpenAI({ apiKey: "sk-test-planner", baseURL: server.baseURL });
}

describe("planInstructionChange", () => {
  it("turns the model's structured answer into a bounded instructions change that applies to the YAML", async () => {
    const definition = support(true);
    const next = `${definition.instructions}- Never paste internal links; describe the page instead.\n`;
    const openai = await client(
      ModelStep.text(
        JSON.stringify({ instructions: next, rationale: "Answers quote internal links." }),
      ),
    );
    const outcome = await planInstructionChange(finding, definition, {
      client: openai,
      model: "planner-model",
    });
    expect(outcome.kind).toBe("proposal");
    if (outcome.kind !== "proposal") return;
    expect(outcome.change).toEqual([
      { path: "instructions", from: definition.instructions, to: next },
    ]);
    expect(outcome.rationale).toContain("planner-model proposed an edit");
    const request = server?.chatRequests[0];
    expect(request?.body).toMatchObject({
      model: "planner-model",
      response_format: { type: "json_schema" },
    });
    const edited = applyChangesToYaml(TEXT, "support.yaml", outcome.change);
    expect(edited.ok).toBe(true);
  });

  it("does not call the model when the policy does not allow instructions", async () => {
    const openai = await client();
    const outcome = await planInstructionChange(finding, support(false), {
      client: openai,
      model: "m",
    });
    expect(outcome).toMatchObject({ kind: "none", dropped: [{ path: "instructions" }] });
    expect(server?.chatRequests).toHaveLength(0);
  });

  it.each([
    ["not JSON", ModelStep.text("sure! here is a better prompt"), /not JSON/],
    ["the wrong shape", ModelStep.text(JSON.stringify({ prompt: "x" })), /expected shape/],
    [
      "an edit too large",
      ModelStep.text(JSON.stringify({ instructions: "x".repeat(5000), rationale: "r" })),
      /more than 1500/,
    ],
    ["no change", "same" as const, /no change/],
    ["a server error", ModelStep.serverError(), /could not be asked/],
  ])("refuses %s", async (_name, step, reason) => {
    const definition = support(true);
    const scripted =
      step === "same"
        ? ModelStep.text(JSON.stringify({ instructions: definition.instructions, rationale: "r" }))
        : step;
    const openai = await client(scripted, scripted);
    const outcome = await planInstructionChange(finding, definition, {
      client: openai,
      model: "m",
    });
    expect(outcome.kind).toBe("none");
    if (outcome.kind === "none") expect(outcome.reason).toMatch(reason);
  });
});
