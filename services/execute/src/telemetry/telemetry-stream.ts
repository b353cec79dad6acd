import { JetStreamApiCodes, JetStreamApiError, type JetStreamManager } from "@nats-io/jetstream";
import type { PatinoxStreamConfig } from "@patinox/streams";

/**
 * Creates the telemetry stream when it does not exist yet, and otherwise leaves it alone.
 * Monitor owns its configuration (max age, max bytes) and updates it at start; Execute only
 * makes sure events published before Monitor ever ran are kept rather than lost. Updating it
 * here too would make the two services undo each other's settings on every restart.
 * @returns whether the stream was created
 */
export async function createTelemetryStreamIfMissing(
  jsm: JetStreamManager,
  config: PatinoxStreamConfig,
): Promise<boolean> {
  try {
    await jsm.streams.info(config.name);
    return false;
  } catch (error) {
    if (!(error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound)) {
      throw error;
    }
  }
  try {
    // Without a byte limit: JetStream reserves `max_bytes` up front, and the limit is Monitor's
    // to choose (it updates the stream at start); the age limit still bounds it meanwhile.
    await jsm.streams.add({ ...config, max_bytes: -1 });
    return true;
  } catch (error) {
    // Monitor (or another replica) created it in between: that is the outcome we wanted.
    if (error instanceof JetStreamApiError && error.code === 10058) return false;
    throw error;
  }
}
