import { JetStreamApiError } from "@nats-io/jetstream";
import { TimeoutError } from "@nats-io/nats-core";

/** JSClusterNotAvailErr ("JetStream system temporarily unavailable"), from nats-server's `errors.json`. */
const CLUSTER_NOT_AVAILABLE = 10008;

/**
 * Whether an error thrown while a service starts is JetStream not being ready yet — worth
 * starting again after a pause — rather than a mistake that another try repeats: a request
 * that timed out (JetStream electing a leader), or JetStream saying it is temporarily
 * unavailable. Looks through `cause`, since the knowledge package wraps what the client
 * throws. Deliberately narrow: "no suitable peers" (10005) is also what too many replicas or
 * too large a `max_bytes` give on a cluster, and a server without JetStream answers no
 * responders (`JetStreamNotEnabled`); those fail the start at once.
 */
export function isTransientStartError(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; depth++) {
    if (e instanceof TimeoutError) return true;
    if (e instanceof JetStreamApiError && e.code === CLUSTER_NOT_AVAILABLE) return true;
    e = e.cause;
  }
  return false;
}

/** The pause before start-up attempt `attempt + 1`: doubling from 250 ms, at most 5 s. */
export function startRetryDelayMs(attempt: number): number {
  return Math.min(5_000, 250 * 2 ** Math.max(0, attempt - 1));
}
