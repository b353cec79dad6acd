import { type JsMsg, jetstream } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { headers as natsHeaders } from "@nats-io/nats-core";
import { trace } from "@opentelemetry/api";
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  TracerProvider,
} from "@opentelemetry/sdk-trace";
import { KnowledgeKeys, streamNames, TelemetryEvent } from "@patinox/contracts";
import { ModelServer, ModelStep, NatsServer } from "@patinox/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  agentDefinition,
  ExecuteHarness,
  lookupOrder,
  TEST_API_KEY,
} from "./test-support/execute-harness.ts";

let nats: NatsServer;
const spans = new InMemorySpanExporter();
// Exports on span end, asynchronously: read after `forceFlush`.
const provider = new TracerProvider({
  spanProcessors: [new SimpleSpanProcessor({ exporter: spans })],
});
beforeAll(async () => {
  nats = await NatsServer.start();
  // The API's global provider: the tracer Execute got at start delegates to it from now on.
  trace.setGlobalTracerProvider(provider);
});
afterAll(async () => {
  trace.disable();
  await nats?.[Symbol.asyncDispose]();
});

/** Every telemetry event of `prefix` once `done` holds for them (polling the stream). */
async function telemetryOf(
  execute: ExecuteHarness,
  done: (events: TelemetryEvent[]) => boolean,
): Promise<{ events: TelemetryEvent[]; msgs: JsMsg[] }> {
  const js = jetstream(execute.nc);
  const stream = streamNames(execute.prefix).telemetry;
  const until = Date.now() + 10_000;
  for (;;) {
    const consumer = await js.consumers.get(stream);
    const msgs: JsMsg[] = [];
    const info = await consumer.info();
    if (info.num_pending > 0) {
      const batch = await consumer.fetch({ max_messages: info.num_pending, expires: 2_000 });
      for await (const msg of batch) {
        msgs.push(msg);
        if (msgs.length === info.num_pending) break;
      }
    }
    const events = msgs.map((m) => TelemetryEvent.parse(m.json()));
    if (done(events)) return { events, msgs };
    if (Date.now() > until) throw new Error(`telemetry incomplete: ${JSON.stringify(events)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe("run telemetry", () => {
  it("publishes model, tool, verdict and run events with the caller's trace, and GenAI spans", async () => {
    await using model = await ModelServer.start({
      apiKey: TEST_API_KEY,
      script: [
        ModelStep.toolCalls(
          { name: "lookup_order", arguments: { orderId: "1001" } },
          { usage: { promptTokens: 100, completionTokens: 10 } },
        ),
        ModelStep.text("Order 1001 shipped; mail ana@example.com for help.", {
          usage: { promptTokens: 150, completionTokens: 8 },
        }),
      ],
    });
    await using execute = await ExecuteHarness.start({ nats, modelBaseURL: model.baseURL });
    // A raw tool responder, to see the headers the tool request carries.
    const toolHeaders: (string | undefined)[] = [];
    const sub = execute.nc.subscribe(`${execute.prefix}.tools.lookup_order`, {
      callback: (_error, msg) => {
        toolHeaders.push(msg.headers?.get("traceparent"));
        msg.respond(JSON.stringify({ status: "shipped" }));
      },
    });
    await execute.apply(
      agentDefinition("support", {
        tools: [lookupOrder],
        validators: { output: [{ kind: "pii_redaction" }] },
      }),
    );
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    const headers = natsHeaders();
    headers.set("traceparent", `00-${traceId}-00f067aa0ba902b7-01`);

    const reply = await execute.nc.request(
      `${execute.prefix}.agents.support.run`,
      JSON.stringify({ v: 1, input: "Where is order 1001? I am bob@example.com", runId: "run-t1" }),
      { timeout: 10_000, headers },
    );
    sub.unsubscribe();
    expect(reply.json()).toMatchObject({ status: "completed", traceId });

    const { events, msgs } = await telemetryOf(execute, (all) =>
      all.some((e) => e.type === "run.completed"),
    );
    const types = events.map((e) => e.type).sort();
    expect(types).toEqual([
      "model.call",
      "model.call",
      "run.completed",
      "tool.call",
      "validator.verdict",
    ]);
    for (const event of events) {
      expect(event).toMatchObject({
        service: "execute",
        agent: "support",
        runId: "run-t1",
        traceId,
      });
    }
    const completed = events.find((e) => e.type === "run.completed");
    expect(completed).toMatchObject({
      id: "run.completed:run-t1",
      status: "completed",
      agentVersion: 1,
      inputTokens: 250,
      outputTokens: 18,
      steps: 2,
    });
    expect(completed?.type === "run.completed" && completed.input?.bytes).toBe(41);
    expect(events.find((e) => e.type === "tool.call")).toMatchObject({
      tool: "lookup_order",
      status: "ok",
      attempt: 1,
    });
    expect(events.find((e) => e.type === "validator.verdict")).toMatchObject({
      validator: "pii_redaction",
      stage: "output",
      verdict: "modify",
    });
    // No user content by default: neither the input nor the output is in any event.
    const raw = msgs.map((m) => m.string()).join("\n");
    expect(raw).not.toContain("bob@example.com");
    expect(raw).not.toContain("Order 1001 shipped");
    // Each event has its Nats-Msg-Id and the trace context in its headers.
    for (const msg of msgs) {
      expect(msg.headers?.get("Nats-Msg-Id")).toBe((msg.json() as { id: string }).id);
      expect(msg.headers?.get("traceparent")).toContain(traceId);
    }
    // The tool request continued the same trace, from the tool span.
    expect(toolHeaders).toHaveLength(1);
    expect(toolHeaders[0]).toContain(traceId);

    await provider.forceFlush();
    const finished = spans.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
    const byName = new Map(finished.map((s) => [s.name, s]));
    expect([...byName.keys()].sort()).toEqual([
      "chat test-model",
      "execute_tool lookup_order",
      "invoke_agent support",
    ]);
    const chat = finished.filter((s) => s.name === "chat test-model");
    expect(chat).toHaveLength(2);
    expect(chat[0]?.attributes).toMatchObject({
      "gen_ai.operation.name": "chat",
      "gen_ai.request.model": "test-model",
      "gen_ai.provider.name": "openai",
      "gen_ai.usage.input_tokens": 100,
      "gen_ai.usage.output_tokens": 10,
    });
    expect(byName.get("execute_tool lookup_order")?.attributes).toMatchObject({
      "gen_ai.operation.name": "execute_tool",
      "gen_ai.tool.name": "lookup_order",
    });
    const run = byName.get("invoke_agent support");
    expect(run?.attributes["gen_ai.operation.name"]).toBe("invoke_agent");
    expect(toolHeaders[0]).toContain(byName.get("execute_tool lookup_order")?.spanContext().spanId);
  });

  it("samples content only when the agent opts in, with secrets redacted", async () => {
    await using model = await ModelServer.start({
      script: [ModelStep.text("Done.", { usage: { promptTokens: 5, completionTokens: 1 } })],
    });
    await using execute = await ExecuteHarness.start({ nats, modelBaseURL: model.baseURL });
    await execute.apply(agentDefinition("sampled", { telemetry: { contentSampleRate: 1 } }));

    await execute.run("sampled", {
      input: "My key is sk-abcdefghijklmnopqrstuvwx1234",
      runId: "r-s",
    });

    const { events } = await telemetryOf(execute, (all) =>
      all.some((e) => e.type === "run.completed"),
    );
    const completed = events.find((e) => e.type === "run.completed");
    expect(completed?.type === "run.completed" && completed.sample?.output).toBe("Done.");
    const sampledInput = completed?.type === "run.completed" ? completed.sample?.input : "";
    expect(sampledInput).toMatch(/^My key is /);
    expect(sampledInput).not.toContain("sk-abcdefghijklmnopqrstuvwx1234");
  });

  it("counts failed model attempts and an input rejection as events", async () => {
    await using model = await ModelServer.start({
      script: [ModelStep.serverError(), ModelStep.text("From the fallback.")],
    });
    await using execute = await ExecuteHarness.start({ nats, modelBaseURL: model.baseURL });
    await execute.apply(
      agentDefinition("guarded", {
        model: { name: "test-model", fallbacks: [{ name: "backup-model" }] },
        validators: { input: [{ kind: "deny_patterns", patterns: ["forbidden"] }] },
      }),
    );

    const ok = await execute.run("guarded", { input: "hello", runId: "r-ok" });
    expect(ok.status).toBe("completed");
    await expect(
      execute.run("guarded", { input: "a forbidden word", runId: "r-no" }),
    ).rejects.toThrow(/validation_rejected/);

    const { events } = await telemetryOf(
      execute,
      (all) => all.filter((e) => e.type === "run.completed").length === 2,
    );
    const calls = events.filter((e) => e.type === "model.call");
    expect(calls.map((c) => [c.model, c.status, c.fallback])).toEqual([
      ["test-model", "error", false],
      ["backup-model", "ok", true],
    ]);
    expect(calls[0]).toMatchObject({ errorCode: "model_failure" });
    const rejected = events.find((e) => e.type === "run.completed" && e.runId === "r-no");
    expect(rejected).toMatchObject({
      status: "failed",
      errorCode: "validation_rejected",
      rejectedBy: "deny_patterns",
      steps: 0,
    });
    expect(
      events.find((e) => e.type === "validator.verdict" && e.verdict === "reject"),
    ).toMatchObject({ stage: "input", validator: "deny_patterns" });
  });

  it("records a tool that times out and one nothing serves as tool_failure events", async () => {
    await using model = await ModelServer.start({
      script: [
        ModelStep.toolCalls([
          { name: "slow_tool", arguments: {} },
          { name: "missing_tool", arguments: {} },
        ]),
        ModelStep.text("Both tools failed."),
      ],
    });
    await using execute = await ExecuteHarness.start({ nats, modelBaseURL: model.baseURL });
    const sub = execute.nc.subscribe(`${execute.prefix}.tools.slow_tool`, {
      callback: () => undefined, // never answers
    });
    const tool = (name: string) => ({
      name,
      description: `The ${name}.`,
      parameters: { type: "object" as const, properties: {} },
      timeoutMs: 200,
      retries: 0,
    });
    await execute.apply(
      agentDefinition("tooling", { tools: [tool("slow_tool"), tool("missing_tool")] }),
    );

    const reply = await execute.run("tooling", { input: "go", runId: "r-tools" });
    sub.unsubscribe();
    expect(reply).toMatchObject({ status: "completed", output: "Both tools failed." });

    const { events } = await telemetryOf(
      execute,
      (all) => all.filter((e) => e.type === "tool.call").length === 2,
    );
    const calls = events.flatMap((e) => (e.type === "tool.call" ? [e] : []));
    expect(calls.map((c) => [c.tool, c.status, c.errorCode]).sort()).toEqual([
      ["missing_tool", "error", "tool_failure"],
      ["slow_tool", "timeout", "tool_failure"],
    ]);
  });

  it("reports a definition that fails validation in the bucket as a definition.invalid event", async () => {
    await using model = await ModelServer.start({ script: [ModelStep.text("Fine.")] });
    await using execute = await ExecuteHarness.start({ nats, modelBaseURL: model.baseURL });
    await execute.apply(agentDefinition("kept"));
    expect((await execute.run("kept", { input: "hi" })).agentVersion).toBe(1);

    const kv = await new Kvm(execute.nc).open(execute.prefix);
    await kv.put(
      KnowledgeKeys.agentConfig("kept"),
      JSON.stringify({ v: 1, version: 2, definition: { name: "kept" } }),
    );

    const { events } = await telemetryOf(execute, (all) =>
      all.some((e) => e.type === "definition.invalid"),
    );
    const invalid = events.find((e) => e.type === "definition.invalid");
    expect(invalid).toMatchObject({
      agent: "kept",
      key: "agents.kept.config",
      keptVersion: 1,
    });
    expect(invalid?.type === "definition.invalid" && invalid.issues.length).toBeGreaterThan(0);
  });

  it("reports a breaker opening as a breaker.state event naming the agent whose call tripped it", async () => {
    await using model = await ModelServer.start({
      handler: (request) =>
        request.model === "primary" ? ModelStep.serverError() : ModelStep.text("From backup."),
    });
    await using execute = await ExecuteHarness.start({
      nats,
      modelBaseURL: model.baseURL,
      env: {
        PATINOX_BREAKER: JSON.stringify({
          minimumRequests: 2,
          failureRatio: 0.5,
          coolDownMs: 60_000,
        }),
      },
    });
    await execute.apply(
      agentDefinition("tripper", {
        model: { name: "primary", fallbacks: [{ name: "backup" }] },
      }),
    );
    for (const runId of ["b-1", "b-2", "b-3"]) {
      expect((await execute.run("tripper", { input: "hi", runId })).status).toBe("completed");
    }

    const { events } = await telemetryOf(execute, (all) =>
      all.some((e) => e.type === "breaker.state"),
    );
    expect(events.find((e) => e.type === "breaker.state")).toMatchObject({
      agent: "tripper",
      provider: "openai",
      model: "primary",
      state: "open",
      previous: "closed",
      requests: 2,
    });
  });
});
