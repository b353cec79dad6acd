import { Kvm } from "@nats-io/kv";
import { KnowledgeKeys } from "@patinox/contracts";
import {
  type ModelHandler,
  ModelServer,
  ModelStep,
  messageText,
  NatsServer,
} from "@patinox/testkit";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { agentDefinition, ExecuteHarness } from "./test-support/execute-harness.ts";

let nats: NatsServer;
beforeAll(async () => {
  nats = await NatsServer.start();
});
afterAll(async () => {
  await nats?.[Symbol.asyncDispose]();
});

/** A model that answers with the system prompt it was given, slowly for "slow" prompts. */
function echoInstructions(): ModelHandler {
  return (request) => {
    const system = messageText(request.messages[0] ?? { role: "system", content: "" });
    const answer = ModelStep.text(`instructions: ${system}`);
    return system.includes("slow") ? ModelStep.delayed(600, answer) : answer;
  };
}

describe("hot reload", () => {
  it("a run in flight finishes on the version it started with; a request after the update uses the new one", async () => {
    await using model = await ModelServer.start({ handler: echoInstructions() });
    await using execute = await ExecuteHarness.start({ nats, modelBaseURL: model.baseURL });
    await execute.apply(agentDefinition("evolving", { instructions: "Version one, slow." }));

    const inFlight = execute.run("evolving", { input: "Hi" });
    await model.received(0);
    expect(await execute.apply(agentDefinition("evolving", { instructions: "Version two." }))).toBe(
      2,
    );

    await vi.waitFor(
      async () => {
        const reply = await execute.run("evolving", { input: "Hi again" });
        expect(reply).toMatchObject({ agentVersion: 2, output: "instructions: Version two." });
      },
      { timeout: 5_000, interval: 50 },
    );
    expect(await inFlight).toMatchObject({
      status: "completed",
      agentVersion: 1,
      output: "instructions: Version one, slow.",
    });
  });

  it("an invalid record in the bucket is logged and ignored: the last good version keeps serving", async () => {
    await using model = await ModelServer.start({ handler: echoInstructions() });
    await using execute = await ExecuteHarness.start({ nats, modelBaseURL: model.baseURL });
    await execute.apply(agentDefinition("sturdy", { instructions: "Good version." }));
    expect((await execute.run("sturdy", { input: "Hi" })).agentVersion).toBe(1);

    // A version that passes the schema but whose tool schema does not compile.
    await execute.apply(
      agentDefinition("sturdy", {
        instructions: "Broken version.",
        tools: [
          {
            name: "broken",
            description: "Its parameters are not a JSON Schema.",
            parameters: { type: "object", properties: 5 },
          },
        ],
      }),
    );
    // Found by code, not by revision: the bucket's revisions also count rate-limit writes.
    expect(await execute.logged({ agent: "sturdy", code: "config_invalid" })).toMatchObject({
      level: "error",
      keptVersion: 1,
    });

    // A record that fails its schema, written around the CLI's checks as a buggy writer could.
    const kv = await new Kvm(execute.nc).open(execute.prefix);
    await kv.put(
      KnowledgeKeys.agentConfig("sturdy"),
      JSON.stringify({ v: 1, version: 3, definition: { name: "sturdy" } }),
    );
    expect(await execute.logged({ agent: "sturdy", code: "record_invalid" })).toMatchObject({
      level: "error",
      keptVersion: 1,
      msg: "agent definition rejected; the last good version keeps serving",
    });

    const reply = await execute.run("sturdy", { input: "Still there?" });
    expect(reply).toMatchObject({
      status: "completed",
      agentVersion: 1,
      output: "instructions: Good version.",
    });
  });

  it("an agent whose only record is invalid answers config_invalid, and a deleted agent answers unknown_agent", async () => {
    await using model = await ModelServer.start({ handler: echoInstructions() });
    await using execute = await ExecuteHarness.start({ nats, modelBaseURL: model.baseURL });
    const kv = await new Kvm(execute.nc).open(execute.prefix);
    await kv.put(KnowledgeKeys.agentConfig("mangled"), "{ not json");

    const { error } = await execute.runError("mangled", { input: "Hi" });
    expect(error.code).toBe("config_invalid");
    expect(error.message).toMatch(/agent mangled has no valid definition/);

    await execute.apply(agentDefinition("leaving"));
    expect((await execute.run("leaving", { input: "Hi" })).status).toBe("completed");
    await execute.knowledge.delete(KnowledgeKeys.agentConfig("leaving"));
    await vi.waitFor(
      async () =>
        expect((await execute.runError("leaving", { input: "Hi" })).error.code).toBe(
          "unknown_agent",
        ),
      { timeout: 5_000, interval: 50 },
    );
  });

  it("loads the definitions already in the bucket when it starts", async () => {
    await using model = await ModelServer.start({ handler: echoInstructions() });
    await using first = await ExecuteHarness.start({ nats, modelBaseURL: model.baseURL });
    await first.apply(agentDefinition("existing", { instructions: "Already there." }));
    // A second instance on the same bucket and prefix, started after the definition was written.
    await using second = await ExecuteHarness.start({
      nats,
      modelBaseURL: model.baseURL,
      env: { PATINOX_PREFIX: first.prefix, PATINOX_BUCKET: first.prefix },
    });
    await second.logged({ msg: "agent definition loaded", agent: "existing" });
    await first[Symbol.asyncDispose]();

    const reply = await second.run("existing", { input: "Hi" });
    expect(reply).toMatchObject({ agentVersion: 1, output: "instructions: Already there." });
  });
});
