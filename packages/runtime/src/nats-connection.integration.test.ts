import { errors, type NatsConnection, nkeys } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import { createTestCertificates, NatsServer } from "@patinox/testkit";
import { describe, expect, it } from "vitest";
import { type Environment, readConfig } from "./config.ts";
import { createLogger } from "./logger.ts";
import { connectNats, logConnectionStatus, natsConnectionOptions } from "./nats-connection.ts";
import { RuntimeConfigSchema } from "./runtime-config.ts";
import { testConnection } from "./test-support/connection.ts";
import { MemoryLog } from "./test-support/memory-log.ts";

const nkeyUser = nkeys.createUser();

/**
 * alice (password) and an nkey user may do anything; a client without credentials becomes
 * `nobody`, who may neither publish nor subscribe. The fallback lets the testkit's readiness
 * probe connect, and the denial proves a working connection really authenticated.
 */
const AUTHORIZATION = `
authorization {
  users: [
    { user: alice, password: s3cret }
    { nkey: ${nkeyUser.getPublicKey()} }
    { user: nobody, password: "unused-${Date.now()}", permissions: { publish: { deny: ">" }, subscribe: { deny: ">" } } }
  ]
}
no_auth_user: nobody
`;

async function connected(
  url: string,
  environment: Environment,
): Promise<NatsConnection & AsyncDisposable> {
  const nc = await connectNats(
    readConfig(RuntimeConfigSchema, { NATS_URL: url, ...environment }),
    "test",
  );
  return Object.assign(nc, {
    [Symbol.asyncDispose]: async () => {
      await nc.close().catch(() => undefined);
    },
  });
}

/** Whether `nc` may subscribe and publish: a request to its own echo responder comes back. */
async function echoes(nc: NatsConnection, timeoutMs = 2_000): Promise<boolean> {
  const sub = nc.subscribe("echo.>", {
    callback: (error, msg) => {
      if (!error) msg.respond(msg.data);
    },
  });
  try {
    return (await nc.request("echo.1", "ping", { timeout: timeoutMs })).string() === "ping";
  } catch {
    return false;
  } finally {
    sub.unsubscribe();
  }
}

describe("connectNats", () => {
  it("authenticates with user and password, and with an nkey seed", async () => {
    await using server = await NatsServer.start({ jetstream: false, extraConfig: AUTHORIZATION });
    await using anonymous = await testConnection(server.url);
    await using alice = await connected(server.url, {
      NATS_USER: "alice",
      NATS_PASSWORD: "s3cret",
    });
    await using keyed = await connected(server.url, {
      NATS_NKEY_SEED: new TextDecoder().decode(nkeyUser.getSeed()),
    });

    // Denied outright; the short wait only bounds the test should the server stay silent.
    expect(await echoes(anonymous, 500)).toBe(false);
    expect(await echoes(alice)).toBe(true);
    expect(await echoes(keyed)).toBe(true);
  });

  it("fails with an authorization error on a wrong password instead of retrying forever", async () => {
    await using server = await NatsServer.start({ jetstream: false, extraConfig: AUTHORIZATION });

    const attempt = connected(server.url, { NATS_USER: "alice", NATS_PASSWORD: "wrong" });

    await expect(attempt).rejects.toBeInstanceOf(errors.AuthorizationError);
  });

  it("authenticates with a token", async () => {
    await using server = await NatsServer.start({
      jetstream: false,
      extraConfig: 'authorization { token: "tok-9f2c" }',
      probe: { token: "tok-9f2c" },
    });

    await using withToken = await connected(server.url, { NATS_TOKEN: "tok-9f2c" });
    const wrongToken = connected(server.url, { NATS_TOKEN: "tok-wrong" });

    expect(await echoes(withToken)).toBe(true);
    await expect(wrongToken).rejects.toBeInstanceOf(errors.AuthorizationError);
  });
});

describe("connectNats over TLS", () => {
  it("connects with mutual TLS from NATS_TLS_CA, NATS_TLS_CERT and NATS_TLS_KEY, and not without a client certificate", async () => {
    await using certs = await createTestCertificates();
    await using server = await NatsServer.start({
      jetstream: false,
      extraConfig: `tls { cert_file: "${certs.serverCertFile}", key_file: "${certs.serverKeyFile}", ca_file: "${certs.caFile}", verify: true }`,
      probe: {
        tls: { caFile: certs.caFile, certFile: certs.clientCertFile, keyFile: certs.clientKeyFile },
      },
    });

    await using mutual = await connected(server.url, {
      NATS_TLS_CA: certs.caFile,
      NATS_TLS_CERT: certs.clientCertFile,
      NATS_TLS_KEY: certs.clientKeyFile,
    });
    expect(await echoes(mutual)).toBe(true);
    expect(mutual.info?.tls_required).toBe(true);

    // Without a client certificate the server refuses the handshake; the client does not hang.
    const readConfigOnly = readConfig(RuntimeConfigSchema, {
      NATS_URL: server.url,
      NATS_TLS_CA: certs.caFile,
    });
    await expect(
      connect({
        ...natsConnectionOptions(readConfigOnly, "test"),
        waitOnFirstConnect: false,
        maxReconnectAttempts: 0,
        timeout: 2_000,
      }),
    ).rejects.toThrow();
  });
});

describe("logConnectionStatus", () => {
  it("logs the disconnect when the server stops and the reconnect when it is back", async () => {
    await using server = await NatsServer.start({ jetstream: false });
    const log = new MemoryLog();
    const logger = createLogger({
      service: "probe",
      instanceId: "p-1",
      level: "info",
      destination: log,
    });
    await using nc = await connected(server.url, {});
    logConnectionStatus(nc, logger);

    await server.stop();
    const disconnect = await log.waitFor((r) => nats(r).status === "disconnect");
    await server.restart();
    const reconnect = await log.waitFor((r) => nats(r).status === "reconnect");

    expect(disconnect).toMatchObject({ level: "warn", msg: "nats connection state changed" });
    expect(nats(disconnect).server).toContain(String(server.port));
    expect(reconnect).toMatchObject({ level: "info", msg: "nats connection state changed" });
    expect(await echoes(nc)).toBe(true);
  });
});

function nats(record: Record<string, unknown>): { status?: string; server?: string } {
  return (record.nats ?? {}) as { status?: string; server?: string };
}
