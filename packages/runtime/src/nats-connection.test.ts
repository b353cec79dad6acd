import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Authenticator, nkeys } from "@nats-io/nats-core";
import { afterAll, describe, expect, it } from "vitest";
import { type Environment, readConfig } from "./config.ts";
import { displayServers, natsConnectionOptions } from "./nats-connection.ts";
import { RuntimeConfigSchema } from "./runtime-config.ts";

const config = (environment: Environment) => readConfig(RuntimeConfigSchema, environment);

// Certificate paths are checked for readability when configuration is parsed.
const TLS = await mkdtemp(join(tmpdir(), "patinox-tls-paths-"));
for (const name of ["ca.pem", "cert.pem", "key.pem"]) await writeFile(join(TLS, name), "");
afterAll(() => rm(TLS, { recursive: true, force: true }));

/** Runs the single authenticator the options carry, as the client does on connect. */
function authenticate(
  authenticator: unknown,
  nonce = "nonce-1",
): { nkey?: string; sig?: string; jwt?: string } {
  expect(authenticator).toHaveLength(1);
  const [only] = authenticator as Authenticator[];
  if (!only) throw new Error("no authenticator");
  return (only(nonce) ?? {}) as { nkey?: string; sig?: string; jwt?: string };
}

describe("natsConnectionOptions", () => {
  it("lists every server and reconnects forever, with jitter, waiting for the first connect", () => {
    const servers = config({ NATS_URL: "nats://a:4222, nats://b:4222,tls://c:4222" });

    const options = natsConnectionOptions(servers, "patinox-execute-i1");

    expect(options).toMatchObject({
      servers: ["nats://a:4222", "nats://b:4222", "tls://c:4222"],
      name: "patinox-execute-i1",
      maxReconnectAttempts: -1,
      waitOnFirstConnect: true,
    });
    expect(options.reconnectJitter).toBeGreaterThan(0);
    expect(options.reconnectJitterTLS).toBeGreaterThan(0);
    expect(options.servers).not.toBe(servers.NATS_URL);
  });

  it("carries no credentials and no TLS when none are configured", () => {
    const options = natsConnectionOptions(config({}), "n");

    for (const key of ["user", "pass", "token", "authenticator", "tls"]) {
      expect(options).not.toHaveProperty(key);
    }
  });

  it("reveals user and password into the options only", () => {
    const parsed = config({ NATS_USER: "alice", NATS_PASSWORD: "s3cret-pw" });

    const options = natsConnectionOptions(parsed, "n");

    expect(options).toMatchObject({ user: "alice", pass: "s3cret-pw" });
    expect(options).not.toHaveProperty("token");
    expect(JSON.stringify(parsed)).not.toContain("s3cret-pw");
  });

  it("reveals the token into the options only", () => {
    const parsed = config({ NATS_TOKEN: "tok-123" });

    const options = natsConnectionOptions(parsed, "n");

    expect(options.token).toBe("tok-123");
    expect(options).not.toHaveProperty("pass");
    expect(JSON.stringify(parsed)).not.toContain("tok-123");
  });

  it("signs the server's nonce with the nkey seed", () => {
    const user = nkeys.createUser();
    const seed = new TextDecoder().decode(user.getSeed());

    const options = natsConnectionOptions(config({ NATS_NKEY_SEED: seed }), "n");
    const auth = authenticate(options.authenticator, "nonce-42");

    expect(auth.nkey).toBe(user.getPublicKey());
    expect(typeof auth.sig).toBe("string");
    const signature = nkeys.decode(auth.sig ?? "");
    expect(user.verify(new TextEncoder().encode("nonce-42"), signature)).toBe(true);
  });

  it("reads the JWT and the seed from a creds file", async () => {
    const user = nkeys.createUser();
    const seed = new TextDecoder().decode(user.getSeed());
    const directory = await mkdtemp(join(tmpdir(), "patinox-creds-"));
    try {
      const path = join(directory, "user.creds");
      await writeFile(
        path,
        [
          "-----BEGIN NATS USER JWT-----",
          "eyJ0eXAiOiJKV1QifQ.payload.signature",
          "------END NATS USER JWT------",
          "",
          "-----BEGIN USER NKEY SEED-----",
          seed,
          "------END USER NKEY SEED------",
          "",
        ].join("\n"),
      );

      const auth = authenticate(
        natsConnectionOptions(config({ NATS_CREDS: path }), "n").authenticator,
      );

      expect(auth).toMatchObject({
        jwt: "eyJ0eXAiOiJKV1QifQ.payload.signature",
        nkey: user.getPublicKey(),
      });
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });

  it.each<[string, Environment, unknown]>([
    ["nothing", { NATS_TLS_KEY: `${TLS}/key.pem` }, undefined],
    ["a CA", { NATS_TLS_CA: `${TLS}/ca.pem` }, { caFile: `${TLS}/ca.pem` }],
    [
      "a client certificate and key",
      { NATS_TLS_CERT: `${TLS}/cert.pem`, NATS_TLS_KEY: `${TLS}/key.pem` },
      { certFile: `${TLS}/cert.pem`, keyFile: `${TLS}/key.pem` },
    ],
    [
      "a CA and a client certificate",
      {
        NATS_TLS_CA: `${TLS}/ca.pem`,
        NATS_TLS_CERT: `${TLS}/cert.pem`,
        NATS_TLS_KEY: `${TLS}/key.pem`,
      },
      { caFile: `${TLS}/ca.pem`, certFile: `${TLS}/cert.pem`, keyFile: `${TLS}/key.pem` },
    ],
  ])("turns TLS on only for a CA or a certificate: with %s", (_, environment, tls) => {
    expect(natsConnectionOptions(config(environment), "n").tls).toEqual(tls);
  });

  it("refuses at start a certificate or creds path that cannot be read", () => {
    expect(() => config({ NATS_TLS_CA: `${TLS}/missing.pem` })).toThrow(
      /NATS_TLS_CA: expected the path of a readable file/,
    );
    expect(() => config({ NATS_CREDS: TLS })).toThrow(
      /NATS_CREDS: expected the path of a readable file/,
    );
  });
});

describe("displayServers", () => {
  it.each([
    ["nats://user:secret@host:4222", "nats://[redacted]@host:4222"],
    ["tls://token@host", "tls://[redacted]@host"],
    ["user:pw@host:4222", "[redacted]@host:4222"],
    ["nats://host:4222", "nats://host:4222"],
  ])("%s becomes %s", (server, redacted) => {
    expect(displayServers([server])).toEqual([redacted]);
  });
});
