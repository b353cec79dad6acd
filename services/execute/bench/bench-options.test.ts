import { describe, expect, it } from "vitest";
import { parseBenchOptions } from "./bench-options.ts";

describe("parseBenchOptions", () => {
  it("defaults to the issue's scenario: 1,000 in flight on a 250 ms model", () => {
    const options = parseBenchOptions([], {});
    expect(options).toMatchObject({
      slowInFlight: 1_000,
      modelLatencyMs: 250,
      instantInFlight: 64,
      profile: false,
      jsonFile: undefined,
      baselineHttp: "fetch",
    });
  });

  it("takes flags over variables, and variables over defaults (blank is unset)", () => {
    const options = parseBenchOptions(["--slow-requests", "50000", "--profile"], {
      BENCH_SLOW_REQUESTS: "7",
      BENCH_INSTANT_REQUESTS: "123",
      BENCH_IN_FLIGHT: " ",
    });
    expect(options).toMatchObject({
      slowRequests: 50_000,
      instantRequests: 123,
      slowInFlight: 1_000,
      profile: true,
    });
  });

  it("refuses a count that is not a positive integer, naming the option", () => {
    expect(() => parseBenchOptions(["--in-flight", "0"], {})).toThrow(/--in-flight/);
    expect(() => parseBenchOptions([], { BENCH_MODEL_LATENCY_MS: "1.5" })).toThrow(
      /--model-latency/,
    );
  });

  it("takes the baseline's transport, and refuses one it does not know", () => {
    expect(parseBenchOptions(["--baseline-http", "undici"], {})).toMatchObject({
      baselineHttp: "undici",
    });
    expect(parseBenchOptions([], { BENCH_BASELINE_HTTP: "undici" })).toMatchObject({
      baselineHttp: "undici",
    });
    expect(() => parseBenchOptions(["--baseline-http", "curl"], {})).toThrow(/--baseline-http/);
  });

  it("answers help, and refuses unknown flags", () => {
    expect(parseBenchOptions(["--help"], {})).toBe("help");
    expect(() => parseBenchOptions(["--nope"], {})).toThrow();
  });
});
