import { JetStreamApiError } from "@nats-io/jetstream";
import { NoRespondersError, PermissionViolationError, TimeoutError } from "@nats-io/nats-core";
import { describe, expect, it } from "vitest";
import { isTransientStartError, startRetryDelayMs } from "./start-retry.ts";

const apiError = (code: number, err_code: number, description: string) =>
  new JetStreamApiError({ code, err_code, description });

describe("isTransientStartError", () => {
  it.each([
    ["a request that timed out", new TimeoutError(), true],
    ["no responders (no JetStream on that server)", new NoRespondersError("$JS.API.INFO"), false],
    [
      "JetStream temporarily unavailable",
      apiError(503, 10008, "JetStream system temporarily unavailable"),
      true,
    ],
    [
      "no suitable peers (too many replicas, or max bytes too large)",
      apiError(400, 10005, "no suitable peers for placement, insufficient storage"),
      false,
    ],
    ["insufficient resources", apiError(503, 10023, "insufficient resources"), false],
    [
      "wrapped in a cause",
      new Error("could not open knowledge", { cause: new TimeoutError() }),
      true,
    ],
    [
      "a stream name in use with another config",
      apiError(400, 10058, "stream name already in use"),
      false,
    ],
    ["not authorized", new PermissionViolationError("not allowed", "publish", "$JS.API.>"), false],
    [
      "JetStream not enabled (what the client makes of no responders)",
      Object.assign(
        new Error("jetstream is not enabled", { cause: new NoRespondersError("$JS.API.INFO") }),
        { name: "JetStreamNotEnabled" },
      ),
      false,
    ],
    ["a plain error", new Error("cannot build actors"), false],
    ["not an error", "timeout", false],
  ])("%s → %s", (_what, error, transient) => {
    expect(isTransientStartError(error)).toBe(transient);
  });
});

describe("startRetryDelayMs", () => {
  it("doubles from 250 ms up to 5 s", () => {
    expect([1, 2, 3, 4, 5, 6, 7].map(startRetryDelayMs)).toEqual([
      250, 500, 1_000, 2_000, 4_000, 5_000, 5_000,
    ]);
  });
});
