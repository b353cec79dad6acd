import type { ActorDefinition } from "@patinox/actors";

/** Told to the actor by its own watch loop when the loop ends while it should be running. */
export interface WatchEnded {
  readonly error: unknown;
}

/**
 * An actor that keeps a knowledge watch running: `follow` runs in the background of each
 * incarnation until the actor's signal aborts. If it fails or ends on its own, the actor
 * crashes on purpose so its supervisor restarts it with backoff (a new watch replays the
 * current values, which ordering by revision makes harmless).
 */
export function watchActor(
  name: string,
  follow: (signal: AbortSignal) => Promise<void>,
): ActorDefinition<WatchEnded> {
  return {
    name,
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
      const watching = follow(ctx.signal).then(
        () => report(new Error(`the ${name} watch ended`)),
        report,
      );
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
