import { ConfigError } from "@patinox/runtime";
import { describe, expect, it } from "vitest";
import { CONNECT_TIMEOUT_MS, cliConnectionOptions, readCliConfig } from "./connection.ts";

describe("readCliConfig", () => {
  it("reads the services' variables with their defaults", () => {
    const config = readCliConfig({});
    expect(config.NATS_URL).toEqual(["nats://127.0.0.1:4222"]);
    expect(config.PATINOX_BUCKET).toBe("patinox");
    expect(config.PATINOX_PREFIX).toBe("patinox");
  });

  it("lets --server and --bucket win over NATS_URL and PATINOX_BUCKET", () => {
    const config = readCliConfig(
      { NATS_URL: "nats://env:4222", PATINOX_BUCKET: "env" },
      { server: "nats://a:1, nats://b:2", bucket: "flag" },
    );
    expect(config.NATS_URL).toEqual(["nats://a:1", "nats://b:2"]);
    expect(config.PATINOX_BUCKET).toBe("flag");
  });

  it("names the bad variable without echoing its value", () => {
    const read = () => readCliConfig({ NATS_URL: "not a url", NATS_PASSWORD: "hunter2" });
    expect(read).toThrow(ConfigError);
    expect(read).toThrow(/NATS_URL: expected comma-separated NATS URLs/);
    expect(read).not.toThrow(/hunter2|not a url/);
  });

  it("names --server when the bad value came from the command line", () => {
    expect(() => readCliConfig({}, { server: "bad url" })).toThrow(
      /--server \(NATS_URL\): expected/,
    );
    expect(() => readCliConfig({}, { bucket: "no.dots" })).toThrow(
      /--bucket \(PATINOX_BUCKET\): expected/,
    );
  });

  it("ignores variables only a service reads, so they cannot stop the CLI", () => {
    expect(() =>
      readCliConfig({ PATINOX_HEALTH_PORT: "not a port", LOG_LEVEL: "loud" }),
    ).not.toThrow();
  });
});

describe("cliConnectionOptions", () => {
  it("tries once with a short timeout instead of the services' endless reconnects", () => {
    const options = cliConnectionOptions(readCliConfig({ NATS_USER: "u", NATS_PASSWORD: "p" }));
    expect(options).toMatchObject({
      reconnect: false,
      maxReconnectAttempts: 0,
      waitOnFirstConnect: false,
      timeout: CONNECT_TIMEOUT_MS,
      user: "u",
      pass: "p",
    });
  });

  it("reports an unreadable creds file as configuration, naming NATS_CREDS", () => {
    // The shared schema checks the path while parsing, before any connection is tried.
    expect(() => readCliConfig({ NATS_CREDS: "/nonexistent/patinox.creds" })).toThrow(ConfigError);
    expect(() => readCliConfig({ NATS_CREDS: "/nonexistent/patinox.creds" })).toThrow(
      /NATS_CREDS: expected the path of a readable file/,
    );
  });
});
