import type { NatsConnection } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";

/** A plain client connection for arranging and probing a test; closed on dispose. */
export async function testConnection(url: string): Promise<NatsConnection & AsyncDisposable> {
  const nc = await connect({ servers: url, reconnect: false });
  return Object.assign(nc, {
    [Symbol.asyncDispose]: async () => {
      await nc.close().catch(() => undefined);
    },
  });
}
