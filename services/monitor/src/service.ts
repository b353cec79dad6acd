import type { ServiceDefinition } from "@patinox/runtime";
import { placeholderActor } from "@patinox/runtime";

/** Monitor: Folds telemetry into time windows in the knowledge bucket. */
export const monitorService: ServiceDefinition = {
  name: "monitor",
  version: "0.1.0",
  healthPort: 8082,
  description: "Folds telemetry into time windows in the knowledge bucket",
  async start(context) {
    // The telemetry-intake actor will consume the telemetry stream and fold events into windows; until that issue lands it only holds its place in the tree.
    await context.supervisor.spawn(placeholderActor("telemetry-intake", context.logger));
  },
};
