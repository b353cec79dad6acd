import type { ServiceDefinition } from "@patinox/runtime";
import { placeholderActor } from "@patinox/runtime";

/** Analyze: Finds patterns in the knowledge windows with real statistics. */
export const analyzeService: ServiceDefinition = {
  name: "analyze",
  version: "0.1.0",
  healthPort: 8083,
  description: "Finds patterns in the knowledge windows with real statistics",
  async start(context) {
    // The window-analyzer actor will watch metric windows and run the detectors; until that issue lands it only holds its place in the tree.
    await context.supervisor.spawn(placeholderActor("window-analyzer", context.logger));
  },
};
