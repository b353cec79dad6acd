import type { ActorDefinition } from "@patinox/actors";
import type { Logger } from "pino";

/**
 * An actor that holds the place of a service's real work in its supervision tree, so the
 * tree, `/readyz` and the status endpoint are exercised before that work exists. It logs what
 * it is told and does nothing else.
 */
export function placeholderActor(name: string, logger: Logger): ActorDefinition<unknown> {
  return {
    name,
    start: () => {
      logger.debug({ actor: name }, "placeholder actor started");
      return {
        receive: (message) => logger.debug({ actor: name, message }, "placeholder actor received"),
      };
    },
  };
}
