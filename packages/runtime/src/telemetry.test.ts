import { describe, expect, it, vi } from "vitest";
import type { Environment } from "./config.ts";
import { exporterConfigured, startTelemetry } from "./telemetry.ts";

describe("exporterConfigured", () => {
  it.each<[string, Environment, boolean]>([
    ["nothing set", {}, false],
    [
      "only unrelated variables",
      { OTEL_SERVICE_NAME: "x", OTEL_RESOURCE_ATTRIBUTES: "a=b" },
      false,
    ],
    ["a traces exporter", { OTEL_TRACES_EXPORTER: "otlp" }, true],
    ["a metrics exporter", { OTEL_METRICS_EXPORTER: "console" }, true],
    ["a logs exporter", { OTEL_LOGS_EXPORTER: "otlp" }, true],
    ["the OTLP endpoint", { OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" }, true],
    [
      "the OTLP traces endpoint",
      { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://c:4318/v1/traces" },
      true,
    ],
    [
      "the OTLP metrics endpoint",
      { OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: "http://c:4318/v1/metrics" },
      true,
    ],
    [
      "every exporter none",
      { OTEL_TRACES_EXPORTER: "none", OTEL_METRICS_EXPORTER: " none ", OTEL_LOGS_EXPORTER: "none" },
      false,
    ],
    [
      "one exporter none and another set",
      { OTEL_TRACES_EXPORTER: "none", OTEL_METRICS_EXPORTER: "otlp" },
      true,
    ],
    [
      "OTEL_SDK_DISABLED=true over an endpoint and an exporter",
      {
        OTEL_SDK_DISABLED: "true",
        OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318",
        OTEL_TRACES_EXPORTER: "otlp",
      },
      false,
    ],
    [
      "OTEL_SDK_DISABLED in any case",
      { OTEL_SDK_DISABLED: " TRUE ", OTEL_TRACES_EXPORTER: "otlp" },
      false,
    ],
    ["OTEL_SDK_DISABLED=false", { OTEL_SDK_DISABLED: "false", OTEL_TRACES_EXPORTER: "otlp" }, true],
    [
      "blank exporters and endpoints",
      {
        OTEL_TRACES_EXPORTER: "",
        OTEL_METRICS_EXPORTER: "  ",
        OTEL_LOGS_EXPORTER: "\t",
        OTEL_EXPORTER_OTLP_ENDPOINT: " ",
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "",
        OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: "",
      },
      false,
    ],
  ])("with %s → %s", (_, environment, expected) => {
    expect(exporterConfigured(environment)).toBe(expected);
  });
});

describe("startTelemetry with no exporter configured", () => {
  it("starts no SDK, hands out usable no-op handles, and shuts down quietly", async () => {
    const onError = vi.fn();

    const telemetry = await startTelemetry("execute", {}, onError);

    expect(telemetry.exporting).toBe(false);
    const span = telemetry.tracer.startSpan("run");
    expect(span.isRecording()).toBe(false);
    span.setAttribute("agent", "support");
    span.end();
    const counter = telemetry.meter.createCounter("runs");
    counter.add(1, { agent: "support" });
    telemetry.meter.createHistogram("latency").record(12);
    await expect(telemetry.shutdown()).resolves.toBeUndefined();
    expect(onError).not.toHaveBeenCalled();
  });
});
