import type { NatsConnection, Subscription } from "@nats-io/nats-core";
import { CancelRequest, parseMessage, type Subjects } from "@patinox/contracts";
import type { Logger } from "@patinox/runtime";
import type { RunAbort } from "./run-abort.ts";

/** Longest cancel reason kept for the reply, in characters (the schema allows 500). */
const MAX_REASON = 200;

/**
 * The runs in flight on this instance, by run id, so a cancel request can reach them. Several
 * runs may share an id (a caller retrying before the first finished): a cancel stops them all.
 */
export class RunsInFlight {
  readonly #runs = new Map<string, Set<RunAbort>>();

  /** Runs in flight. */
  get size(): number {
    let count = 0;
    for (const runs of this.#runs.values()) count += runs.size;
    return count;
  }

  /** Tracks a run until the returned function is called. */
  add(runId: string, run: RunAbort): () => void {
    let runs = this.#runs.get(runId);
    if (runs === undefined) {
      runs = new Set();
      this.#runs.set(runId, runs);
    }
    runs.add(run);
    return () => {
      runs.delete(run);
      if (runs.size === 0 && this.#runs.get(runId) === runs) this.#runs.delete(runId);
    };
  }

  /** Cancels every run with this id; returns how many there were (0 for a finished or unknown run). */
  cancel(runId: string, reason?: string): number {
    const runs = this.#runs.get(runId);
    for (const run of runs ?? []) run.cancel(reason);
    return runs?.size ?? 0;
  }
}

/**
 * Subscribes to `<prefix>.runs.*.cancel` on every instance (no queue group: the run may be on
 * any of them) and cancels the matching run here. A malformed request is logged and dropped;
 * nothing is replied (the subject is publish-only).
 */
export function listenForCancellations(
  nc: NatsConnection,
  subjects: Subjects,
  runs: RunsInFlight,
  logger: Logger,
): Subscription {
  return nc.subscribe(subjects.runCancelAll, {
    callback: (error, message) => {
      if (error) {
        logger.error({ error: error.message }, "cancel subscription failed");
        return;
      }
      const runId = message.subject.split(".").at(-2) ?? "";
      const parsed = parseMessage(CancelRequest, message.data);
      if (!parsed.ok) {
        logger.warn(
          { runId, code: parsed.error.code, reason: parsed.error.message },
          "malformed cancel request dropped",
        );
        return;
      }
      const reason = parsed.value.reason?.slice(0, MAX_REASON);
      const cancelled = runs.cancel(runId, reason);
      if (cancelled > 0) logger.info({ runId, cancelled }, "run cancelled");
      // Every instance hears every cancel; only the one running it has anything to say.
      else logger.debug({ runId }, "cancel for a run not in flight here");
    },
  });
}
