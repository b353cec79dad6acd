import { JetStreamApiError } from "@nats-io/jetstream";
import { NoRespondersError, RequestError, TimeoutError } from "@nats-io/nats-core";

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
 * Whether an error thrown while a service starts is NATS or JetStream not being ready yet —
 * worth starting again after a pause — rather than a mistake that another try repeats: a
 * request that timed out or found no responder (JetStream electing a leader, or not up yet on
 * the server this process reached), or JetStream saying it is temporarily unavailable. Looks
 * through `cause`, since the knowledge package wraps what the client throws.
 */
export function isTransientStartError(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; depth++) {
    if (e instanceof TimeoutError || e instanceof NoRespondersError) return true;
    if (e instanceof RequestError && e.isNoResponders()) return true;
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
