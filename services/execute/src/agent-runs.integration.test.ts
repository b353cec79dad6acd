import { setTimeout as sleep } from "node:timers/promises";
import { ModelServer, ModelStep, NatsServer } from "@patinox/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  agentDefinition,
  ExecuteHarness,
  lookupOrder,
  TEST_API_KEY,
} from "./test-support/execute-harness.ts";

let nats: NatsServer;
beforeAll(async () => {
  nats = await NatsServer.start();
});
afterAll(async () => {
  await nats?.[Symbol.asyncDispose]();
});

/** The messages the model server received in chat request `index`. */
function messagesOf(model: ModelServer, index: number) {
  return model.chatRequests[index]?.body?.messages ?? [];
}

describe("the agent loop", () => {
  it("calls a real tool the model asks for, hands it the result, and returns the answer with usage and cost", async () => {
    await using model = await ModelServer.start({
      apiKey: TEST_API_KEY,
      script: [
        ModelStep.toolCalls(
          { name: "lookup_order", arguments: { orderId: "1001" } },
          { usage: { promptTokens: 100, completionTokens: 10 } },
        ),
        ModelStep.text("Order 1001 has shipped.", {
          usage: { promptTokens: 150, completionTokens: 8 },
        }),
      ],
    });
    await using execute = await ExecuteHarness.start({
      nats,
      modelBaseURL: model.baseURL,
      env: {
        PATINOX_MODEL_PRICES: JSON.stringify({
          "test-model": { inputPerMTok: 1, outputPerMTok: 2 },
        }),
      },
    });
    const calls: unknown[] = [];
    await using _tool = await execute.serveTool<{ orderId: string }>({
      ...lookupOrder,
      handler: (args) => {
        calls.push(args);
        return { orderId: args.orderId, status: "shipped" };
      },
    });
    await execute.apply(
      agentDefinition("support", { tools: [lookupOrder], instructions: "Answer about orders." }),
    );

    const reply = await execute.run("support", { input: "Where is order 1001?", runId: "run-1" });

    expect(reply).toMatchObject({
      runId: "run-1",
      agent: "support",
      status: "completed",
      output: "Order 1001 has shipped.",
      steps: 2,
      agentVersion: 1,
      usage: { inputTokens: 250, outputTokens: 18, costUsd: (250 * 1 + 18 * 2) / 1_000_000 },
      model: { name: "test-model", provider: "openai" },
    });
    expect(reply.error).toBeUndefined();
    expect(calls).toEqual([{ orderId: "1001" }]);
    const first = model.chatRequests[0]?.body;
    expect(first?.messages.slice(0, 2)).toEqual([
      { role: "system", content: "Answer about orders." },
      { role: "user", content: "Where is order 1001?" },
    ]);
    expect(first?.tools?.map((t) => t.function)).toEqual([lookupOrder]);
    const toolMessage = messagesOf(model, 1).at(-1);
    expect(toolMessage?.role).toBe("tool");
    expect(JSON.parse(String(toolMessage?.content))).toEqual({
      orderId: "1001",
      status: "shipped",
    });
    expect(model.chatRequests.every((r) => r.apiKey === "matched")).toBe(true);
  });

  it("sends invalid tool-call JSON and schema-invalid arguments back to the model as the tool result, without calling the tool", async () => {
    await using model = await ModelServer.start({
      script: [
        ModelStep.toolCalls({ name: "lookup_order", arguments: '{"orderId": "1001"' }),
        ModelStep.toolCalls({ name: "lookup_order", arguments: { orderId: 1001 } }),
        ModelStep.toolCalls({ name: "cancel_order", arguments: { orderId: "1001" } }),
        ModelStep.text("I could not look the order up."),
      ],
    });
    await using execute = await ExecuteHarness.start({ nats, modelBaseURL: model.baseURL });
    let called = 0;
    await using _tool = await execute.serveTool({
      ...lookupOrder,
      handler: () => {
        called++;
        return {};
      },
    });
    await execute.apply(agentDefinition("strict-tools", { tools: [lookupOrder] }));

    const reply = await execute.run("strict-tools", { input: "Where is order 1001?" });

    expect(reply).toMatchObject({ status: "completed", steps: 4 });
    expect(called).toBe(0);
    expect(messagesOf(model, 1).at(-1)).toMatchObject({
      role: "tool",
      content: expect.stringMatching(/^error: the arguments are not valid JSON/),
    });
    expect(messagesOf(model, 2).at(-1)).toMatchObject({
      role: "tool",
      content: expect.stringMatching(
        /do not match the parameters of lookup_order: \/orderId must be string/,
      ),
    });
    expect(messagesOf(model, 3).at(-1)).toMatchObject({
      role: "tool",
      content: expect.stringMatching(/no tool named "cancel_order"; the tools are: lookup_order/),
    });
    const finished = await execute.logged({ msg: "run finished" });
    expect(finished.stats).toMatchObject({ invalidToolCalls: 3, toolCalls: 0 });
  });

  it("retries a tool that times out, and tells the model when it never answers", async () => {
    await using model = await ModelServer.start({
      script: [
        ModelStep.toolCalls([
          { name: "flaky", arguments: {} },
          { name: "stuck", arguments: {} },
        ]),
        ModelStep.text("One tool answered."),
      ],
    });
    await using execute = await ExecuteHarness.start({ nats, modelBaseURL: model.baseURL });
    let flakyCalls = 0;
    let stuckCalls = 0;
    const empty = { type: "object" as const, properties: {} };
    await using _flaky = await execute.serveTool({
      name: "flaky",
      description: "Answers on the third try.",
      parameters: empty,
      handler: async () => {
        flakyCalls++;
        if (flakyCalls < 3) await sleep(600);
        return { ok: true, attempt: flakyCalls };
      },
    });
    await using _stuck = await execute.serveTool({
      name: "stuck",
      description: "Never answers in time.",
      parameters: empty,
      handler: async () => {
        stuckCalls++;
        await sleep(600);
        return { late: true };
      },
    });
    await execute.apply(
      agentDefinition("retrying", {
        tools: [
          { name: "flaky", description: "Answers on the third try.", timeoutMs: 200, retries: 2 },
          { name: "stuck", description: "Never answers in time.", timeoutMs: 150, retries: 1 },
        ],
      }),
    );

    const reply = await execute.run("retrying", { input: "Go." });

    expect(reply).toMatchObject({ status: "completed", output: "One tool answered." });
    expect(flakyCalls).toBe(3);
    expect(stuckCalls).toBe(2);
    const [flakyResult, stuckResult] = messagesOf(model, 1).slice(-2);
    expect(JSON.parse(String(flakyResult?.content))).toEqual({ ok: true, attempt: 3 });
    expect(stuckResult?.content).toBe("error: the tool stuck timed out (150 ms, 2 attempts)");
  });

  it("stops at max steps with status max_steps and the partial output, not an error", async () => {
    const step = ModelStep.toolCalls(
      { name: "lookup_order", arguments: { orderId: "7" } },
      { text: "Still looking…" },
    );
    await using model = await ModelServer.start({ script: [step, step, step] });
    await using execute = await ExecuteHarness.start({ nats, modelBaseURL: model.baseURL });
    await using _tool = await execute.serveTool({
      ...lookupOrder,
      handler: () => ({ status: "unknown" }),
    });
    await execute.apply(
      agentDefinition("looping", { tools: [lookupOrder], limits: { maxSteps: 2 } }),
    );

    const reply = await execute.run("looping", { input: "Find order 7." });

    expect(reply).toMatchObject({ status: "max_steps", output: "Still looking…", steps: 2 });
    expect(reply.error).toBeUndefined();
    expect(model.chatRequests).toHaveLength(2);
  });

  it("falls back to the next model when the first answers 500, and says which model answered", async () => {
    await using model = await ModelServer.start({
      script: [ModelStep.serverError(), ModelStep.text("Answered by the backup.")],
    });
    await using execute = await ExecuteHarness.start({ nats, modelBaseURL: model.baseURL });
    await execute.apply(
      agentDefinition("resilient", {
        model: { name: "primary-model", fallbacks: [{ name: "backup-model" }] },
      }),
    );

    const reply = await execute.run("resilient", { input: "Hello" });

    expect(reply).toMatchObject({
      status: "completed",
      output: "Answered by the backup.",
      steps: 1,
      model: { name: "backup-model", provider: "openai" },
    });
    expect(model.chatRequests.map((r) => r.body?.model)).toEqual(["primary-model", "backup-model"]);
    expect(await execute.logged({ msg: "model call failed" })).toMatchObject({
      model: "primary-model",
      code: "model_failure",
      reason: expect.stringMatching(/^primary-model \(openai\): 500 server_error/),
    });
  });

  it("fails with model_failure listing every model when all of them fail", async () => {
    await using model = await ModelServer.start({
      script: [ModelStep.serverError({ status: 503 }), ModelStep.disconnect()],
    });
    await using execute = await ExecuteHarness.start({ nats, modelBaseURL: model.baseURL });
    await execute.apply(
      agentDefinition("doomed", { model: { name: "first", fallbacks: [{ name: "second" }] } }),
    );

    const reply = await execute.run("doomed", { input: "Hello" });

    expect(reply).toMatchObject({ status: "failed", steps: 0, agentVersion: 1 });
    expect(reply.error).toMatchObject({
      code: "model_failure",
      recovery: "fallback",
      retryable: true,
    });
    expect(reply.error?.message).toMatch(
      /^every model failed: first \(openai\): 503 server_error.*; second \(openai\): could not connect$/,
    );
  });

  it("answers validation_rejected when an input validator rejects, before any model call", async () => {
    await using model = await ModelServer.start({ script: [ModelStep.text("never")] });
    await using execute = await ExecuteHarness.start({ nats, modelBaseURL: model.baseURL });
    await execute.apply(
      agentDefinition("guarded", {
        validators: {
          input: [{ kind: "deny_patterns", name: "no-secrets", patterns: ["launch codes?"] }],
        },
      }),
    );

    const { error } = await execute.runError("guarded", { input: "Tell me the launch codes." });

    expect(error).toMatchObject({
      code: "validation_rejected",
      details: { validator: "no-secrets", stage: "input" },
    });
    expect(model.chatRequests).toHaveLength(0);
  });

  it("fails the run with validation_rejected when a tool-stage validator rejects a call, which is never made", async () => {
    await using model = await ModelServer.start({
      script: [ModelStep.toolCalls({ name: "lookup_order", arguments: { orderId: "DROP TABLE" } })],
    });
    await using execute = await ExecuteHarness.start({ nats, modelBaseURL: model.baseURL });
    let called = 0;
    await using _tool = await execute.serveTool({
      ...lookupOrder,
      handler: () => {
        called++;
        return {};
      },
    });
    await execute.apply(
      agentDefinition("tool-guarded", {
        tools: [lookupOrder],
        validators: {
          tool: [{ kind: "deny_patterns", name: "no-sql", patterns: ["drop\\s+table"] }],
        },
      }),
    );

    const reply = await execute.run("tool-guarded", { input: "Find order x." });

    expect(reply).toMatchObject({ status: "failed", steps: 1 });
    expect(reply.error).toMatchObject({
      code: "validation_rejected",
      details: { validator: "no-sql", stage: "tool" },
    });
    expect(called).toBe(0);
  });

  it("answers payload_too_large for an input over the agent's maxInputBytes", async () => {
    await using model = await ModelServer.start();
    await using execute = await ExecuteHarness.start({ nats, modelBaseURL: model.baseURL });
    await execute.apply(agentDefinition("terse", { limits: { maxInputBytes: 16 } }));

    const { error } = await execute.runError("terse", { input: "é".repeat(9) });

    expect(error).toMatchObject({ code: "payload_too_large", details: { limitBytes: 16 } });
    expect(model.chatRequests).toHaveLength(0);
  });

  it("asks the model again with the validator's feedback when the output breaks its JSON Schema", async () => {
    await using model = await ModelServer.start({
      script: [ModelStep.text("The answer is 42."), ModelStep.text('{"answer": "42"}')],
    });
    await using execute = await ExecuteHarness.start({ nats, modelBaseURL: model.baseURL });
    await execute.apply(
      agentDefinition("structured", {
        validators: {
          output: [
            {
              kind: "output_json_schema",
              schema: {
                type: "object",
                properties: { answer: { type: "string" } },
                required: ["answer"],
              },
            },
          ],
        },
      }),
    );

    const reply = await execute.run("structured", { input: "What is the answer?" });

    expect(reply).toMatchObject({ status: "completed", output: '{"answer": "42"}', steps: 2 });
    const retried = messagesOf(model, 1);
    expect(retried.at(-2)).toEqual({ role: "assistant", content: "The answer is 42." });
    expect(retried.at(-1)?.role).toBe("user");
    expect(String(retried.at(-1)?.content)).toMatch(/JSON/);
    // The model is asked for that schema up front (structured output), every step.
    expect(model.chatRequests[0]?.body?.response_format).toEqual({
      type: "json_schema",
      json_schema: {
        name: "structured_output",
        strict: false,
        schema: {
          type: "object",
          properties: { answer: { type: "string" } },
          required: ["answer"],
        },
      },
    });
  });

  it("answers unknown_agent for an agent with no definition", async () => {
    await using model = await ModelServer.start();
    await using execute = await ExecuteHarness.start({ nats, modelBaseURL: model.baseURL });

    const { error } = await execute.runError("nobody", { input: "hello" });

    expect(error).toMatchObject({ code: "unknown_agent", retryable: false });
    expect(error.message).toContain("nobody");
  });

  it("logs a completed run at debug and a failed one at info (LOG_LEVEL info: only the failure)", async () => {
    await using model = await ModelServer.start({
      script: [ModelStep.text("Fine."), ModelStep.serverError({ status: 503 })],
    });
    await using execute = await ExecuteHarness.start({
      nats,
      modelBaseURL: model.baseURL,
      env: { LOG_LEVEL: "info" },
    });
    await execute.apply(agentDefinition("logged"));

    const completed = await execute.run("logged", { input: "Hello" });
    const failed = await execute.run("logged", { input: "Hello again" });

    expect(completed.status).toBe("completed");
    expect(failed.status).toBe("failed");
    const finished = execute.logEntries().filter((e) => e.msg === "run finished");
    expect(finished).toHaveLength(1);
    expect(finished[0]).toMatchObject({ level: "info", runId: failed.runId, status: "failed" });
    // The failed model call is logged too, and no line carries the provider's key.
    expect(await execute.logged({ msg: "model call failed" })).toMatchObject({ level: "warn" });
    expect(execute.logs.join("\n")).not.toContain(TEST_API_KEY);
  });

  it("passes a conversation through as messages after the instructions", async () => {
    await using model = await ModelServer.start({ script: [ModelStep.text("Monday.")] });
    await using execute = await ExecuteHarness.start({ nats, modelBaseURL: model.baseURL });
    await execute.apply(
      agentDefinition("chat", {
        model: { name: "test-model", temperature: 0.2, maxOutputTokens: 64 },
      }),
    );
    const conversation = [
      { role: "user", content: "Where is order 1?" },
      { role: "assistant", content: "It shipped." },
      { role: "user", content: "When will it arrive?" },
    ];

    const reply = await execute.run("chat", { input: conversation });

    expect(reply.output).toBe("Monday.");
    const body = model.chatRequests[0]?.body;
    expect(body?.messages).toEqual([{ role: "system", content: "You are chat." }, ...conversation]);
    expect(body).toMatchObject({ temperature: 0.2, max_tokens: 64 });
    expect(body?.tools).toBeUndefined();
  });
});
