import { context, metrics, propagation, trace } from "@opentelemetry/api";
import { NodeSDK } from "@opentelemetry/sdk-node";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { Environment } from "./config.ts";
import { startTelemetry } from "./telemetry.ts";

/** The `service.name` of the resource an SDK span carries (`resource` is public SDK API). */
function serviceNameOf(span: unknown): unknown {
  return (span as { resource?: { attributes?: Record<string, unknown> } }).resource?.attributes?.[
    "service.name"
  ];
}

/** Unregisters the providers a started SDK set globally, so the next test starts afresh. */
function resetGlobals(): void {
  for (const api of [trace, metrics, context, propagation]) api.disable();
}

// Starting the SDK registers global providers, so these tests run in a file of their own and
// reset the API's globals after each test.
describe("startTelemetry with an exporter configured", () => {
  const sdkSpies: Array<{ mockRestore(): void }> = [];
  beforeAll(() => {
    // The console exporter prints every span, at times after the test that made it has ended:
    // silenced for the whole file.
    vi.spyOn(console, "dir").mockImplementation(() => undefined);
  });
  afterEach(() => {
    vi.unstubAllEnvs();
    for (const spy of sdkSpies.splice(0)) spy.mockRestore();
    resetGlobals();
  });

  /** Points the SDK at the console for traces and nowhere else; it reads process.env itself. */
  function consoleTraces(extra: Environment = {}): Environment {
    const environment: Environment = {
      OTEL_TRACES_EXPORTER: "console",
      OTEL_METRICS_EXPORTER: "none",
      OTEL_LOGS_EXPORTER: "none",
      ...extra,
    };
    for (const [name, value] of Object.entries(environment)) vi.stubEnv(name, value);
    return environment;
  }

  it("starts the SDK: spans record, under the service's name", async () => {
    const onError = vi.fn();

    const telemetry = await startTelemetry("probe", consoleTraces(), onError);
    const span = telemetry.tracer.startSpan("probe-span");
    const recording = span.isRecording();
    span.end();
    await telemetry.shutdown();

    expect(telemetry.exporting).toBe(true);
    expect(recording).toBe(true);
    expect(span.spanContext().traceId).not.toMatch(/^0+$/);
    expect(serviceNameOf(span)).toBe("patinox-probe");
    expect(onError).not.toHaveBeenCalled();
  });

  it("uses OTEL_SERVICE_NAME when set, and the default when it is blank", async () => {
    const named = await startTelemetry(
      "probe",
      consoleTraces({ OTEL_SERVICE_NAME: "custom" }),
      vi.fn(),
    );
    const namedSpan = named.tracer.startSpan("a");
    namedSpan.end();
    await named.shutdown();
    resetGlobals();

    const blank = await startTelemetry(
      "probe",
      consoleTraces({ OTEL_SERVICE_NAME: "  " }),
      vi.fn(),
    );
    const blankSpan = blank.tracer.startSpan("b");
    blankSpan.end();
    await blank.shutdown();

    expect(serviceNameOf(namedSpan)).toBe("custom");
    expect(serviceNameOf(blankSpan)).toBe("patinox-probe");
  });

  it("reports a failing shutdown to onError instead of throwing", async () => {
    const failure = new Error("exporter stuck");
    sdkSpies.push(vi.spyOn(NodeSDK.prototype, "shutdown").mockRejectedValue(failure));
    const onError = vi.fn();
    const telemetry = await startTelemetry("probe", consoleTraces(), onError);

    await expect(telemetry.shutdown()).resolves.toBeUndefined();

    expect(onError.mock.calls).toEqual([[failure]]);
  });

  it("reports an SDK that fails to start and carries on with no-op handles", async () => {
    const failure = new Error("bad exporter settings");
    sdkSpies.push(
      vi.spyOn(NodeSDK.prototype, "start").mockImplementation(() => {
        throw failure;
      }),
    );
    const onError = vi.fn();

    const telemetry = await startTelemetry("probe", consoleTraces(), onError);
    const span = telemetry.tracer.startSpan("after-failure");
    span.end();

    expect(telemetry.exporting).toBe(false);
    expect(span.isRecording()).toBe(false);
    expect(onError.mock.calls).toEqual([[failure]]);
    await expect(telemetry.shutdown()).resolves.toBeUndefined();
  });
});
