import type { AgentDefinitions } from "./agent-definitions.ts";
import { watchActor } from "./watch-actor.ts";

/** The actor that keeps {@link AgentDefinitions} following `agents.*.config`. */
export const definitionWatcher = (definitions: AgentDefinitions) =>
  watchActor("definition-watcher", (signal) => definitions.follow(signal));
