import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import type { Supervisor } from "@patinox/actors";
import type { Knowledge } from "@patinox/knowledge";
import type { ReadinessCheck } from "./health-server.ts";

/** What the built-in readiness checks look at. */
export interface ReadinessSubjects {
  readonly nc: NatsConnection;
  readonly knowledge: Knowledge;
  readonly supervisor: Supervisor;
  /** Aborted when shutdown begins. */
  readonly shutdown: AbortSignal;
}

/**
 * The checks every service's `/readyz` runs: taking work, NATS connected, JetStream
 * answering, the knowledge bucket open, and every actor under the root supervisor running.
 */
export async function builtInReadinessChecks(
  subjects: ReadinessSubjects,
): Promise<ReadinessCheck[]> {
  const { nc, knowledge, supervisor, shutdown } = subjects;
  const connected = trackConnection(nc);
  const jsm = await jetstreamManager(nc, { timeout: 1_500 });
  return [
    {
      name: "accepting",
      check: () => (shutdown.aborted ? { ok: false, detail: "shutting down" } : { ok: true }),
    },
    { name: "nats", check: () => ({ ok: connected() && !nc.isClosed() }) },
    {
      name: "jetstream",
      check: async () => {
        await jsm.getAccountInfo();
        return { ok: true };
      },
    },
    {
      name: "knowledge",
      check: async () => {
        await knowledge.status();
        return { ok: true, detail: knowledge.bucket };
      },
    },
    { name: "actors", check: () => ({ ok: supervisor.isRunning() }) },
  ];
}

/** Follows the connection's status events; the result says whether it is connected now. */
function trackConnection(nc: NatsConnection): () => boolean {
  let connected = true;
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === "disconnect") connected = false;
      if (status.type === "reconnect") connected = true;
    }
  })();
  return () => connected;
}
