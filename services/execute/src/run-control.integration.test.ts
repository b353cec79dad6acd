import { ModelServer, ModelStep, NatsServer } from "@patinox/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { agentDefinition, ExecuteHarness } from "./test-support/execute-harness.ts";

let nats: NatsServer;
beforeAll(async () => {
  nats = await NatsServer.start();
});
afterAll(async () => {
  await nats?.[Symbol.asyncDispose]();
});

const note = {
  name: "note",
  description: "Takes a note.",
  parameters: { type: "object" as const, properties: {} },
};

describe("deadlines, cancellation and load", () => {
  it("fails with deadline_exceeded when the model hangs past the request's timeoutMs, and aborts the model call", async () => {
    await using model = await ModelServer.start({ script: [ModelStep.hang()] });
    await using execute = await ExecuteHarness.start({ nats, modelBaseURL: model.baseURL });
    await execute.apply(
      agentDefinition("patient", { model: { name: "test-model", timeoutMs: 60_000 } }),
    );

    const started = Date.now();
    const reply = await execute.run("patient", { input: "Hello", timeoutMs: 300 });

    expect(Date.now() - started).toBeLessThan(3_000);
    expect(reply).toMatchObject({ status: "failed", steps: 0, agentVersion: 1 });
    expect(reply.error).toMatchObject({ code: "deadline_exceeded", retryable: true });
    expect((await model.settled(0)).outcome).toBe("client-closed");
  });

  it("cancels a run in flight on <prefix>.runs.<runId>.cancel, keeping the partial output", async () => {
    await using model = await ModelServer.start({
      script: [
        ModelStep.toolCalls({ name: "note", arguments: {} }, { text: "Working on it." }),
        ModelStep.hang(),
      ],
    });
    await using execute = await ExecuteHarness.start({ nats, modelBaseURL: model.baseURL });
    await using _tool = await execute.serveTool({ ...note, handler: () => ({ noted: true }) });
    await execute.apply(agentDefinition("cancellable", { tools: [note] }));

    const pending = execute.run("cancellable", { input: "Start.", runId: "run-to-cancel" });
    await model.received(1);
    await execute.cancel("run-to-cancel", "the user left");
    const reply = await pending;

    expect(reply).toMatchObject({
      runId: "run-to-cancel",
      status: "cancelled",
      output: "Working on it.",
      steps: 1,
    });
    expect(reply.error).toMatchObject({
      code: "cancelled",
      message: "the run was cancelled: the user left",
    });
    expect((await model.settled(1)).outcome).toBe("client-closed");
  });

  it("a cancel for another run id, or a malformed one, leaves the run alone", async () => {
    await using model = await ModelServer.start({
      script: [ModelStep.delayed(300, ModelStep.text("Done."))],
    });
    await using execute = await ExecuteHarness.start({ nats, modelBaseURL: model.baseURL });
    await execute.apply(agentDefinition("steady"));

    const pending = execute.run("steady", { input: "Go.", runId: "keep-me" });
    await model.received(0);
    await execute.cancel("someone-else");
    execute.nc.publish(`${execute.prefix}.runs.keep-me.cancel`, "not json");
    const reply = await pending;

    expect(reply).toMatchObject({ status: "completed", output: "Done." });
    await execute.logged({ msg: "malformed cancel request dropped", runId: "keep-me" });
  });

  it("answers overloaded with retryAfterMs when the agent's slots and queue are full", async () => {
    await using model = await ModelServer.start({
      script: [ModelStep.delayed(500, ModelStep.text("First."))],
      handler: () => ModelStep.text("Later."),
    });
    await using execute = await ExecuteHarness.start({ nats, modelBaseURL: model.baseURL });
    await execute.apply(agentDefinition("narrow", { limits: { maxConcurrency: 1, maxQueue: 0 } }));

    const first = execute.run("narrow", { input: "One." });
    await model.received(0);
    const { error } = await execute.runError("narrow", { input: "Two." });

    expect(error).toMatchObject({ code: "overloaded", recovery: "retry", retryable: true });
    expect(error.retryAfterMs).toBeGreaterThan(0);
    expect((await first).output).toBe("First.");
    // The slot is free again.
    expect((await execute.run("narrow", { input: "Three." })).output).toBe("Later.");
  });

  it("queues a run when a queue place is free and runs it once a slot frees", async () => {
    const seenWhenSecondArrived: string[] = [];
    await using model = await ModelServer.start({
      script: [ModelStep.delayed(300, ModelStep.text("First."))],
      handler: () => {
        seenWhenSecondArrived.push(model.chatRequests[0]?.outcome ?? "none");
        return ModelStep.text("Second.");
      },
    });
    await using execute = await ExecuteHarness.start({ nats, modelBaseURL: model.baseURL });
    await execute.apply(agentDefinition("queued", { limits: { maxConcurrency: 1, maxQueue: 1 } }));

    const first = execute.run("queued", { input: "One." });
    await model.received(0);
    const second = execute.run("queued", { input: "Two." });
    const [a, b] = await Promise.all([first, second]);

    expect([a.output, b.output]).toEqual(["First.", "Second."]);
    // The second run reached the model only after the first had its answer.
    expect(seenWhenSecondArrived).toEqual(["answered"]);
  });

  it("ends a run still in flight at the shutdown deadline with unavailable (retryable)", async () => {
    await using model = await ModelServer.start({ script: [ModelStep.hang()] });
    const execute = await ExecuteHarness.start({
      nats,
      modelBaseURL: model.baseURL,
      env: { PATINOX_SHUTDOWN_DEADLINE_MS: "300" },
    });
    await execute.apply(agentDefinition("slow"));
    const answer = execute.run("slow", { input: "take your time", runId: "r-shutdown" });
    await expect.poll(() => model.chatRequests.length).toBe(1);

    const stopping = execute[Symbol.asyncDispose]();
    const reply = await answer;
    await stopping;

    expect(reply).toMatchObject({
      runId: "r-shutdown",
      status: "failed",
      error: { code: "unavailable", retryable: true },
    });
  });
});
