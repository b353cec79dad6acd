import { readFileSync } from "node:fs";
import {
  type Authenticator,
  type ConnectionOptions,
  credsAuthenticator,
  type NatsConnection,
  nkeyAuthenticator,
} from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import type { Logger } from "pino";
import type { NatsConnectionConfig } from "./runtime-config.ts";

/**
 * Connection options from configuration: every server in `NATS_URL`, the configured auth,
 * TLS when a CA or client certificate is given, and reconnection that never gives up.
 * The client's default stops after 10 attempts; a service that stops reconnecting is a
 * service that silently does nothing, so Patinox retries forever with jitter instead.
 */
export function natsConnectionOptions(
  config: NatsConnectionConfig,
  name: string,
): ConnectionOptions {
  const authenticators: Authenticator[] = [];
  if (config.NATS_CREDS) authenticators.push(credsAuthenticator(readFileSync(config.NATS_CREDS)));
  if (config.NATS_NKEY_SEED) {
    authenticators.push(
      nkeyAuthenticator(new TextEncoder().encode(config.NATS_NKEY_SEED.reveal())),
    );
  }
  const options: ConnectionOptions = {
    servers: [...config.NATS_URL],
    name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 1_000,
    reconnectJitter: 500,
    reconnectJitterTLS: 1_000,
    // Every request otherwise builds two errors with stack traces up front, in case it fails:
    // ~60 µs per request, a large share of a run's CPU (see docs/performance.md, Execute).
    noAsyncTraces: true,
    // Keep trying when NATS is not up yet (pods may start before it); /readyz says so meanwhile.
    waitOnFirstConnect: true,
    ...(authenticators.length > 0 ? { authenticator: authenticators } : {}),
    ...(config.NATS_USER ? { user: config.NATS_USER } : {}),
    ...(config.NATS_PASSWORD ? { pass: config.NATS_PASSWORD.reveal() } : {}),
    ...(config.NATS_TOKEN ? { token: config.NATS_TOKEN.reveal() } : {}),
  };
  if (config.NATS_TLS_CA || config.NATS_TLS_CERT) {
    options.tls = {
      ...(config.NATS_TLS_CA ? { caFile: config.NATS_TLS_CA } : {}),
      ...(config.NATS_TLS_CERT ? { certFile: config.NATS_TLS_CERT } : {}),
      ...(config.NATS_TLS_KEY ? { keyFile: config.NATS_TLS_KEY } : {}),
    };
  }
  return options;
}

/**
 * Server URLs fit for logs and messages: a `user:password@` (or token) part becomes
 * `[redacted]@`, since NATS_URL may carry credentials and nothing printed may.
 */
export function displayServers(servers: readonly string[]): string[] {
  return servers.map((server) => server.replace(/^((?:[a-z]+:\/\/)?)[^@/]*@/i, "$1[redacted]@"));
}

/** Connects with {@link natsConnectionOptions}. */
export async function connectNats(
  config: NatsConnectionConfig,
  name: string,
): Promise<NatsConnection> {
  return await connect(natsConnectionOptions(config, name));
}

/**
 * Logs every connection state change (disconnect, reconnect, errors) until the connection
 * closes. Runs in the background; returns at once.
 */
export function logConnectionStatus(nc: NatsConnection, logger: Logger): void {
  void (async () => {
    for await (const status of nc.status()) {
      switch (status.type) {
        case "disconnect":
        case "reconnecting":
        case "staleConnection":
          logger.warn(
            {
              nats: { status: status.type, server: "server" in status ? status.server : undefined },
            },
            "nats connection state changed",
          );
          break;
        case "error":
          logger.error(
            { nats: { status: status.type, error: String(status.error) } },
            "nats connection error",
          );
          break;
        case "ping":
          break;
        default:
          logger.info({ nats: { status: status.type } }, "nats connection state changed");
      }
    }
  })();
}
