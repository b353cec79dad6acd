import type { ServiceDefinition } from "@patinox/runtime";
import { placeholderActor } from "@patinox/runtime";

/** Plan: Turns findings into reviewed pull requests and verifies their effect. */
export const planService: ServiceDefinition = {
  name: "plan",
  version: "0.1.0",
  healthPort: 8084,
  description: "Turns findings into reviewed pull requests and verifies their effect",
  async start(context) {
    // The finding-planner actor will consume finding events and raise pull requests; until that issue lands it only holds its place in the tree.
    await context.supervisor.spawn(placeholderActor("finding-planner", context.logger));
  },
};
