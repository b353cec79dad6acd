import { APIConnectionError, APIConnectionTimeoutError, APIError } from "openai";
import { describe, expect, it } from "vitest";
import { modelFailure } from "./model-failure.ts";
import { ModelProviders } from "./model-providers.ts";

const KEY = "sk-proj-abcdefghijklmnopqrstuvwxyz012345";
const target = new ModelProviders({
  openai: { baseURL: "http://127.0.0.1:9/v1", apiKey: KEY },
}).resolve({
  name: "gpt-test",
});

/** The error the client raises for an HTTP error status with OpenAI's error body. */
function apiError(status: number, body: object, headers: Record<string, string> = {}): APIError {
  return APIError.generate(status, { error: body }, undefined, new Headers(headers));
}

describe("modelFailure", () => {
  it("keeps status, type and the provider's message, with the key scrubbed", () => {
    const error = modelFailure(
      apiError(500, { message: `bad key ${KEY}`, type: "server_error" }),
      target,
      1_000,
    );
    expect(error).toMatchObject({
      code: "model_failure",
      recovery: "fallback",
      message: "gpt-test (openai): 500 server_error: bad key [redacted]",
      details: { model: "gpt-test", provider: "openai", reason: "status", status: 500 },
    });
    expect(error.cause).toBeUndefined();
  });

  it("maps 429 to rate_limited with Retry-After, retry-after-ms or an HTTP date", () => {
    const seconds = modelFailure(
      apiError(429, { message: "slow down", type: "requests" }, { "retry-after": "2" }),
      target,
      1_000,
    );
    expect(seconds).toMatchObject({ code: "rate_limited", retryAfterMs: 2_000 });
    const ms = modelFailure(
      apiError(429, {}, { "retry-after-ms": "250", "retry-after": "9" }),
      target,
      1_000,
    );
    expect(ms.retryAfterMs).toBe(250);
    const date = modelFailure(
      apiError(429, {}, { "retry-after": new Date(Date.now() + 60_000).toUTCString() }),
      target,
      1_000,
    );
    expect(date.retryAfterMs).toBeGreaterThan(55_000);
    expect(date.retryAfterMs).toBeLessThanOrEqual(60_000);
  });

  it("maps 401 and 403 to permission_denied, timeouts and connection errors to model_failure", () => {
    expect(modelFailure(apiError(401, { message: "no" }), target, 1).code).toBe(
      "permission_denied",
    );
    expect(modelFailure(apiError(403, { message: "no" }), target, 1).code).toBe(
      "permission_denied",
    );
    expect(modelFailure(new APIConnectionTimeoutError(), target, 1_500)).toMatchObject({
      code: "model_failure",
      message: "gpt-test (openai): timed out after 1500 ms",
    });
    expect(
      modelFailure(new APIConnectionError({ message: `ECONNREFUSED ${KEY}` }), target, 1),
    ).toMatchObject({
      code: "model_failure",
      message: "gpt-test (openai): could not connect",
    });
  });

  it("never passes on the text of an error that is not the client's", () => {
    const error = modelFailure(new Error(`boom ${KEY}`), target, 1);
    expect(error.message).toBe("gpt-test (openai): the call failed unexpectedly");
  });
});
