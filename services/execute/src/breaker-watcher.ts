import type { ActorDefinition } from "@patinox/actors";
import type { CircuitBreakers } from "@patinox/resilience";

/** Told to the watcher by its own watch loop when the loop ends while it should be running. */
interface WatchEnded {
  readonly error: unknown;
}

/**
 * The actor that keeps this instance's view of the shared circuit breakers (`breakers.>`)
 * current. Like the definition watcher, it crashes on purpose when the watch fails or ends so
 * its supervisor restarts it with backoff; a new watch replays the current records, which the
 * revision order makes harmless.
 */
export function breakerWatcher(breakers: CircuitBreakers): ActorDefinition<WatchEnded> {
  return {
    name: "breaker-watcher",
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
      const watching = breakers
        .follow(ctx.signal)
        .then(() => report(new Error("the breaker watch ended")), report);
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
