import type { ActorDefinition } from "@patinox/actors";
import type { AgentDefinitions } from "./agent-definitions.ts";

/** Told to the watcher by its own watch loop when the loop ends while it should be running. */
interface WatchEnded {
  readonly error: unknown;
}

/**
 * The actor that keeps {@link AgentDefinitions} following the knowledge bucket. The watch runs
 * in the background of each incarnation; if it fails or ends on its own, the actor crashes on
 * purpose so its supervisor restarts it with backoff (a new watch replays the current values,
 * which the revision order makes harmless).
 */
export function definitionWatcher(definitions: AgentDefinitions): ActorDefinition<WatchEnded> {
  return {
    name: "definition-watcher",
    mailbox: { capacity: 1, overflow: "reject" },
    start(ctx) {
      const report = (error: unknown): void => {
        if (ctx.signal.aborted) return; // stopping: the watch ended because it was told to
        try {
          ctx.self.tell({ error });
        } catch {
          // The actor is stopping after all; nothing to restart.
        }
      };
      const watching = definitions
        .follow(ctx.signal)
        .then(() => report(new Error("the definition watch ended")), report);
      return {
        receive(message) {
          throw message.error;
        },
        async stop() {
          await watching;
        },
      };
    },
  };
}
