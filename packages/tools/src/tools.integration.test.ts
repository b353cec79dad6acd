import { Svcm } from "@nats-io/services";
import { connect } from "@nats-io/transport-node";
import { PatinoxError } from "@patinox/contracts";
import { NatsServer } from "@patinox/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callTool } from "./call-tool.ts";
import { serveTool } from "./serve-tool.ts";
import { ToolError } from "./tool-error.ts";

let server: NatsServer;
let nc: Awaited<ReturnType<typeof connect>>;

beforeAll(async () => {
  server = await NatsServer.start({ jetstream: false });
  nc = await connect({ servers: server.url });
});
afterAll(async () => {
  await nc?.close();
  await server?.[Symbol.asyncDispose]();
});

const weatherParameters = {
  type: "object",
  properties: {
    city: { type: "string", minLength: 1 },
    days: { type: "integer", minimum: 1, maximum: 7 },
  },
  required: ["city"],
  additionalProperties: false,
};

async function failure(promise: Promise<unknown>): Promise<PatinoxError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PatinoxError);
  return error as PatinoxError;
}

describe("serveTool and callTool", () => {
  it("round-trips arguments and a JSON result, and registers with $SRV", async () => {
    await using tool = await serveTool<{ city: string; days?: number }>(nc, {
      name: "weather",
      description: "Forecast for a city",
      parameters: weatherParameters,
      handler: ({ city, days = 1 }) => ({ city, days, forecast: "sunny" }),
    });
    expect(tool.subject).toBe("patinox.tools.weather");
    expect(
      await callTool(nc, tool.subject, { city: "Lyon", days: 2 }, { timeoutMs: 2_000 }),
    ).toEqual({
      city: "Lyon",
      days: 2,
      forecast: "sunny",
    });
    const infos = [];
    for await (const info of await new Svcm(nc)
      .client({ strategy: "timer", maxWait: 500 })
      .info("weather"))
      infos.push(info);
    expect(infos[0]?.metadata).toMatchObject({
      kind: "patinox-tool",
      subject: "patinox.tools.weather",
    });
    expect(JSON.parse(infos[0]?.endpoints[0]?.metadata?.parameters ?? "{}")).toEqual(
      weatherParameters,
    );
  });

  it("checks arguments against the schema before the handler runs, listing each problem", async () => {
    let calls = 0;
    await using tool = await serveTool(nc, {
      name: "weather_strict",
      description: "Forecast",
      parameters: weatherParameters,
      handler: () => {
        calls++;
        return null;
      },
    });
    const error = await failure(
      callTool(nc, tool.subject, { days: 9, extra: true }, { timeoutMs: 2_000 }),
    );
    expect(error.code).toBe("malformed_message");
    const issues = (error.details?.issues ?? []) as Array<{ path: string }>;
    const paths = issues.map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(["/", "/days"]));
    expect(error.message).toMatch(/required property 'city'/);
    const notJson = await nc.request(tool.subject, "{not json", { timeout: 2_000 });
    expect(notJson.json()).toMatchObject({ v: 1, error: { code: "malformed_message" } });
    expect(calls).toBe(0);
  });

  it("passes a ToolError's message to the caller, but never the text of any other exception", async () => {
    const reported: unknown[] = [];
    await using tool = await serveTool<{ id: string }>(nc, {
      onError: (error) => reported.push(error),
      name: "lookup",
      description: "Look up an order",
      parameters: { type: "object", properties: { id: { type: "string" } }, required: ["id"] },
      handler: ({ id }) => {
        if (id === "missing") throw new ToolError("no order missing");
        throw new Error("db password=sk-live-canary rejected");
      },
    });
    const told = await failure(callTool(nc, tool.subject, { id: "missing" }, { timeoutMs: 2_000 }));
    expect(told).toMatchObject({
      code: "tool_failure",
      message: "no order missing",
      recovery: "fallback",
    });
    const hidden = await failure(callTool(nc, tool.subject, { id: "x" }, { timeoutMs: 2_000 }));
    expect(hidden.code).toBe("tool_failure");
    expect(JSON.stringify({ message: hidden.message, details: hidden.details })).not.toContain(
      "sk-live-canary",
    );
    // The tool's own process is told (onError); a ToolError is not an error to report.
    expect(reported).toHaveLength(1);
    expect(String(reported[0])).toContain("rejected");
  });

  it("reports a slow tool as a timeout and a missing one as no responders", async () => {
    await using slow = await serveTool(nc, {
      name: "slow",
      description: "Takes its time",
      parameters: { type: "object" },
      handler: () => new Promise((resolve) => setTimeout(() => resolve("late"), 1_000)),
    });
    const timedOut = await failure(callTool(nc, slow.subject, {}, { timeoutMs: 100 }));
    expect(timedOut.code).toBe("tool_failure");
    expect(timedOut.details).toMatchObject({ reason: "timeout" });
    const missing = await failure(callTool(nc, "patinox.tools.nobody", {}, { timeoutMs: 1_000 }));
    expect(missing.details).toMatchObject({ reason: "no_responders" });
  });

  it("stops waiting with `cancelled` when the signal aborts", async () => {
    await using slow = await serveTool(nc, {
      name: "slower",
      description: "Takes its time",
      parameters: { type: "object" },
      handler: () => new Promise((resolve) => setTimeout(() => resolve("late"), 2_000)),
    });
    const controller = new AbortController();
    const pending = callTool(nc, slow.subject, {}, { timeoutMs: 5_000, signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    const started = Date.now();
    expect((await failure(pending)).code).toBe("cancelled");
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it("lets replicas share the calls through the queue group", async () => {
    const served: string[] = [];
    const replica = (id: string) =>
      serveTool(nc, {
        name: "shared",
        description: "Served twice",
        parameters: { type: "object" },
        handler: () => {
          served.push(id);
          return id;
        },
      });
    await using a = await replica("a");
    await using b = await replica("b");
    for (let i = 0; i < 40; i++) await callTool(nc, a.subject, {}, { timeoutMs: 2_000 });
    expect(served).toHaveLength(40);
    expect(new Set(served)).toEqual(new Set(["a", "b"]));
    void b;
  });
});
