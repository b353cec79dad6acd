import { ModelServer, ModelStep, NatsServer } from "@patinox/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { agentDefinition, ExecuteHarness, TEST_API_KEY } from "./test-support/execute-harness.ts";

let nats: NatsServer;
beforeAll(async () => {
  nats = await NatsServer.start();
});
afterAll(async () => {
  await nats?.[Symbol.asyncDispose]();
});

const GATEWAY_KEY = "gw-key-9d8c7b6a5f4e3d2c1b0a";
const GATEWAY_TOKEN = "gw-header-token-0a1b2c3d4e5f";

describe("model providers and credentials", () => {
  it("never puts an API key in replies or logs, even when the provider echoes it in an error", async () => {
    await using openai = await ModelServer.start({
      apiKey: TEST_API_KEY,
      script: [ModelStep.serverError({ message: `upstream refused key ${TEST_API_KEY}` })],
    });
    await using gateway = await ModelServer.start({
      apiKey: GATEWAY_KEY,
      script: [
        ModelStep.error({
          status: 401,
          message: `Incorrect API key provided: ${GATEWAY_KEY} (token ${GATEWAY_TOKEN})`,
        }),
      ],
    });
    await using execute = await ExecuteHarness.start({
      nats,
      modelBaseURL: openai.baseURL,
      env: {
        PATINOX_PROVIDERS: JSON.stringify({
          gateway: {
            baseURL: gateway.baseURL,
            apiKey: GATEWAY_KEY,
            headers: { "x-gateway-token": GATEWAY_TOKEN },
          },
        }),
      },
    });
    await execute.apply(
      agentDefinition("careful", {
        model: { name: "main", fallbacks: [{ name: "via-gateway", provider: "gateway" }] },
      }),
    );

    const reply = await execute.run("careful", { input: "Hello" });

    expect(reply.status).toBe("failed");
    // The gateway refused the key: permission_denied, and no model left to try.
    expect(reply.error).toMatchObject({ code: "permission_denied", recovery: "fail" });
    expect(reply.error?.message).toMatch(
      /^via-gateway \(gateway\): 401 invalid_request_error: Incorrect API key provided: \[redacted\]/,
    );
    // Both providers got their own credentials.
    expect(openai.chatRequests[0]?.apiKey).toBe("matched");
    expect(gateway.chatRequests[0]?.apiKey).toBe("matched");
    expect(gateway.chatRequests[0]?.headers["x-gateway-token"]).toBe(GATEWAY_TOKEN);
    const everything = [JSON.stringify(reply), ...execute.logs].join("\n");
    expect(everything).toContain("upstream refused key [redacted]");
    for (const secret of [TEST_API_KEY, GATEWAY_KEY, GATEWAY_TOKEN]) {
      expect(everything).not.toContain(secret);
    }
  });

  it("answers config_invalid when no model provider is configured", async () => {
    await using execute = await ExecuteHarness.start({ nats });
    await execute.apply(agentDefinition("stranded"));

    const { error } = await execute.runError("stranded", { input: "Hello" });

    expect(error).toMatchObject({ code: "config_invalid", recovery: "fail" });
    expect(error.message).toMatch(
      /no model provider is configured: set OPENAI_API_KEY or OPENAI_BASE_URL/,
    );
    expect(execute.logEntries()).toContainEqual(
      expect.objectContaining({
        level: "warn",
        msg: expect.stringMatching(/^no model provider is configured/),
      }),
    );
  });

  it("answers config_invalid when an agent names a provider that is not configured", async () => {
    await using model = await ModelServer.start();
    await using execute = await ExecuteHarness.start({ nats, modelBaseURL: model.baseURL });
    await execute.apply(agentDefinition("lost", { model: { name: "m", provider: "elsewhere" } }));

    const { error } = await execute.runError("lost", { input: "Hello" });

    expect(error.code).toBe("config_invalid");
    expect(error.message).toBe(
      "model m names provider elsewhere, which is not configured (configured: openai)",
    );
  });

  it("answers rate_limited with the provider's Retry-After when the only model is rate limited", async () => {
    await using model = await ModelServer.start({
      script: [ModelStep.rateLimited({ retryAfter: 7 })],
    });
    await using execute = await ExecuteHarness.start({ nats, modelBaseURL: model.baseURL });
    await execute.apply(agentDefinition("busy"));

    const reply = await execute.run("busy", { input: "Hello" });

    expect(reply.status).toBe("failed");
    expect(reply.error).toMatchObject({
      code: "rate_limited",
      retryAfterMs: 7_000,
      retryable: true,
    });
  });
});
