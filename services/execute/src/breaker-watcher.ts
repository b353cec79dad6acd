import type { CircuitBreakers } from "@patinox/resilience";
import { watchActor } from "./watch-actor.ts";

/** The actor that keeps this instance's view of the shared circuit breakers (`breakers.>`) current. */
export const breakerWatcher = (breakers: CircuitBreakers) =>
  watchActor("breaker-watcher", (signal) => breakers.follow(signal));
