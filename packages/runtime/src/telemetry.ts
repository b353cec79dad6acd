import { type Meter, metrics, type Tracer, trace } from "@opentelemetry/api";
import type { Environment } from "./config.ts";

/** The OpenTelemetry handles a service uses; no-op when no exporter is configured. */
export interface Telemetry {
  readonly tracer: Tracer;
  readonly meter: Meter;
  /** Whether an SDK (and so an exporter) is running. */
  readonly exporting: boolean;
  /** Flushes and stops the SDK; never throws. */
  shutdown(): Promise<void>;
}

/**
 * Whether the standard `OTEL_*` variables ask for an exporter. The SDK's own default is an
 * OTLP exporter to localhost, which would log export errors on every machine without a
 * collector; Patinox starts the SDK only when the operator configured somewhere to send to.
 */
export function exporterConfigured(environment: Environment): boolean {
  const set = (name: string) => (environment[name]?.trim() ?? "") !== "";
  if (environment.OTEL_SDK_DISABLED?.trim().toLowerCase() === "true") return false;
  const named = ["OTEL_TRACES_EXPORTER", "OTEL_METRICS_EXPORTER", "OTEL_LOGS_EXPORTER"].some(
    (name) => set(name) && environment[name]?.trim() !== "none",
  );
  const endpoint = [
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
  ].some(set);
  return named || endpoint;
}

/**
 * Starts `@opentelemetry/sdk-node` configured by the standard `OTEL_*` variables when an
 * exporter is configured, and otherwise leaves the API's no-op providers in place. Telemetry
 * never throws into the code it observes: start and shutdown failures are reported, not raised.
 */
export async function startTelemetry(
  serviceName: string,
  environment: Environment,
  onError: (error: unknown) => void,
): Promise<Telemetry> {
  let shutdown = async () => {};
  let exporting = false;
  if (exporterConfigured(environment)) {
    try {
      // Loaded only when used: the SDK is large and most local runs do not export.
      const { NodeSDK } = await import("@opentelemetry/sdk-node");
      const sdk = new NodeSDK({
        // Blank means unset, as for every other variable.
        serviceName: environment.OTEL_SERVICE_NAME?.trim() || `patinox-${serviceName}`,
      });
      sdk.start();
      exporting = true;
      shutdown = async () => {
        try {
          await sdk.shutdown();
        } catch (error) {
          onError(error);
        }
      };
    } catch (error) {
      onError(error);
    }
  }
  return {
    tracer: trace.getTracer(`patinox-${serviceName}`),
    meter: metrics.getMeter(`patinox-${serviceName}`),
    exporting,
    shutdown,
  };
}
