import { JetStreamApiError } from "@nats-io/jetstream";
import { TimeoutError } from "@nats-io/nats-core";

/**
 * JetStream API error codes that mean "not now" rather than "never": the cluster has no
 * leader yet (a rolling restart, a lost quorum) or not enough servers for the replicas asked.
 * From nats-server's `errors.json`.
 */
const NOT_NOW_CODES = new Set([
  10005, // JSClusterNoPeersErrF: no suitable peers for placement
  10008, // JSClusterNotAvailErr: JetStream system temporarily unavailable
]);

/**
 * Whether an error thrown while a service starts is JetStream not being ready yet — worth
 * starting again after a pause — rather than a mistake that another try repeats: a request
 * that timed out (JetStream electing a leader), or JetStream saying it is temporarily
 * unavailable or short of servers. Looks through `cause`, since the knowledge package wraps
 * what the client throws. Not transient: no responders for the JetStream API, which the
 * client reports as `JetStreamNotEnabled` — a server without JetStream, a configuration
 * mistake that should fail the start at once, as it did before retries.
 */
export function isTransientStartError(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; depth++) {
    if (e.name === "JetStreamNotEnabled") return false; // the client does not export the class
    if (e instanceof TimeoutError) return true;
    if (e instanceof JetStreamApiError && (e.status === 503 || NOT_NOW_CODES.has(e.code))) {
      return true;
    }
    e = e.cause;
  }
  return false;
}

/** The pause before start-up attempt `attempt + 1`: doubling from 250 ms, at most 5 s. */
export function startRetryDelayMs(attempt: number): number {
  return Math.min(5_000, 250 * 2 ** Math.max(0, attempt - 1));
}
