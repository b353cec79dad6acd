import { jetstreamManager } from "@nats-io/jetstream";
import type { ConnectionOptions } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";

/** Options for {@link probeNats}. */
export interface NatsProbeOptions {
  /** Also require the JetStream API to answer (a cluster needs a meta leader). @default true */
  readonly jetstream?: boolean;
  /** Connection options for secured servers, e.g. `{ token }` or `{ tls: { caFile } }`. */
  readonly connection?: Partial<ConnectionOptions>;
  /** Budget of the connection and the JetStream request. @default 1_000 */
  readonly timeoutMs?: number;
}

/**
 * One attempt to reach a NATS server at `url` (and its JetStream API): resolves when it
 * answers, rejects with the client's error otherwise. Used to wait for a server to be ready
 * and to find out whether one already runs.
 */
export async function probeNats(url: string, options: NatsProbeOptions = {}): Promise<void> {
  const timeout = options.timeoutMs ?? 1_000;
  const nc = await connect({ ...options.connection, servers: url, reconnect: false, timeout });
  try {
    if (options.jetstream ?? true) await (await jetstreamManager(nc, { timeout })).getAccountInfo();
  } finally {
    await nc.close();
  }
}
