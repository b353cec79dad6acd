import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ConfigError, type Environment, env, readConfig } from "./config.ts";
import { RuntimeConfigSchema } from "./runtime-config.ts";
import { Secret } from "./secret.ts";

/** Reads `environment` with `schema`, expecting it to fail, and returns the error. */
function configError(schema: z.ZodObject, environment: Environment): ConfigError {
  try {
    readConfig(schema, environment);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("readConfig", () => {
  it("applies every default when nothing is set", () => {
    const config = readConfig(RuntimeConfigSchema, {});

    expect(config).toEqual({
      NATS_URL: ["nats://127.0.0.1:4222"],
      PATINOX_PREFIX: "patinox",
      PATINOX_BUCKET: "patinox",
      PATINOX_BUCKET_REPLICAS: 1,
      PATINOX_STREAM_REPLICAS: 1,
      PATINOX_HEALTH_HOST: "0.0.0.0",
      PATINOX_HEALTH_PORT: 8080,
      PATINOX_START_TIMEOUT_MS: 60_000,
      PATINOX_SHUTDOWN_DEADLINE_MS: 10_000,
      PATINOX_STALL_THRESHOLD_MS: 5_000,
      LOG_LEVEL: "info",
    });
  });

  it("counts a blank value as unset, so the default applies", () => {
    const config = readConfig(RuntimeConfigSchema, {
      PATINOX_HEALTH_PORT: "",
      PATINOX_PREFIX: "   ",
      LOG_LEVEL: "\t\n",
      NATS_USER: " ",
    });

    expect(config.PATINOX_HEALTH_PORT).toBe(8080);
    expect(config.PATINOX_PREFIX).toBe("patinox");
    expect(config.LOG_LEVEL).toBe("info");
    expect(config).not.toHaveProperty("NATS_USER");
  });

  it("trims the whitespace around a value", () => {
    const config = readConfig(RuntimeConfigSchema, {
      PATINOX_HEALTH_PORT: " 9090 ",
      LOG_LEVEL: " debug\n",
    });

    expect(config.PATINOX_HEALTH_PORT).toBe(9090);
    expect(config.LOG_LEVEL).toBe("debug");
  });

  it("reads only the variables of its schema", () => {
    const config = readConfig(z.object({ WANTED: z.string() }), {
      WANTED: "yes",
      UNRELATED: "no",
    });

    expect(config).toEqual({ WANTED: "yes" });
  });

  it("names every bad variable with what was expected", () => {
    const error = configError(RuntimeConfigSchema, {
      NATS_URL: "http://example.com/path",
      PATINOX_PREFIX: "bad prefix!",
      PATINOX_BUCKET: "no.dots",
      PATINOX_BUCKET_REPLICAS: "7",
      PATINOX_HEALTH_PORT: "eighty",
      PATINOX_STALL_THRESHOLD_MS: "50",
      LOG_LEVEL: "loud",
    });

    expect(error.name).toBe("ConfigError");
    expect(error.code).toBe("config_invalid");
    expect(error.issues).toEqual([
      {
        variable: "NATS_URL",
        expected: "expected comma-separated NATS URLs such as nats://host:4222",
      },
      {
        variable: "PATINOX_PREFIX",
        expected:
          "expected dot-separated tokens of letters, digits, _ or - (e.g. patinox or acme.patinox)",
      },
      { variable: "PATINOX_BUCKET", expected: "expected a bucket name of letters, digits, _ or -" },
      { variable: "PATINOX_BUCKET_REPLICAS", expected: "expected a whole number from 1 to 5" },
      { variable: "PATINOX_HEALTH_PORT", expected: "expected a whole number from 0 to 65535" },
      {
        variable: "PATINOX_STALL_THRESHOLD_MS",
        expected: "expected a whole number from 100 to 600000",
      },
      {
        variable: "LOG_LEVEL",
        expected: "expected one of: fatal, error, warn, info, debug, trace, silent",
      },
    ]);
    for (const { variable, expected } of error.issues) {
      expect(error.message).toContain(`${variable}: ${expected}`);
    }
  });

  it("says `required` for a missing required variable, and for a blank one", () => {
    const schema = z.object({ OPENAI_API_KEY: env.secret(), REGION: z.string() });

    const error = configError(schema, { REGION: "  " });

    expect(error.issues.map((i) => i.variable)).toEqual(["OPENAI_API_KEY", "REGION"]);
    for (const issue of error.issues) expect(issue.expected).toMatch(/^required/);
    expect(error.message).toMatch(/OPENAI_API_KEY: required/);
  });

  it.each([
    ["PATINOX_HEALTH_PORT", "sk-live-abc"],
    ["PATINOX_BUCKET_REPLICAS", "sk-live-abc"],
    ["NATS_URL", "nats://sk-live-abc:pw@host/x"],
    ["PATINOX_PREFIX", "sk-live-abc secret"],
    ["PATINOX_BUCKET", "sk-live-abc/"],
    ["PATINOX_INSTANCE_ID", `sk-live-abc${"x".repeat(200)}`],
    ["LOG_LEVEL", "sk-live-abc"],
  ])("never echoes the bad value of %s", (variable, value) => {
    const error = configError(RuntimeConfigSchema, { [variable]: value });

    expect(error.issues.map((i) => i.variable)).toEqual([variable]);
    expect(error.message).not.toContain("sk-live-abc");
    expect(JSON.stringify(error.issues)).not.toContain("sk-live-abc");
  });

  it("returns a frozen object", () => {
    const config = readConfig(RuntimeConfigSchema, { LOG_LEVEL: "warn" });

    expect(Object.isFrozen(config)).toBe(true);
    expect(() => {
      (config as { LOG_LEVEL: string }).LOG_LEVEL = "debug";
    }).toThrow(TypeError);
    expect(config.LOG_LEVEL).toBe("warn");
  });

  it("freezes list values too, so no caller can change the servers after start", () => {
    const first = readConfig(RuntimeConfigSchema, {});
    expect(() => (first.NATS_URL as string[]).push("nats://elsewhere:4222")).toThrow(TypeError);
    expect(readConfig(RuntimeConfigSchema, {}).NATS_URL).toEqual(["nats://127.0.0.1:4222"]);
    expect(readConfig(RuntimeConfigSchema, { NATS_URL: "a:1,b:2" }).NATS_URL).toSatisfy(
      Object.isFrozen,
    );
  });

  it("rejects NATS URLs with an impossible port, a path or an unknown scheme", () => {
    for (const bad of [
      "nats://a:123456",
      "nats://h:4222/x",
      "http://h:4222",
      "nats://h:4222?x=1",
    ]) {
      expect(() => readConfig(RuntimeConfigSchema, { NATS_URL: bad })).toThrow(
        /NATS_URL: expected comma-separated NATS URLs/,
      );
    }
    expect(readConfig(RuntimeConfigSchema, { NATS_URL: "tls://u:p@h:4222, h2" }).NATS_URL).toEqual([
      "tls://u:p@h:4222",
      "h2",
    ]);
  });
});

describe("env helpers", () => {
  /** Reads one variable, `VALUE`, with `schema`. */
  const read = (schema: z.ZodType, value: string): unknown =>
    (readConfig(z.object({ VALUE: schema }), { VALUE: value }) as { VALUE: unknown }).VALUE;

  it("natsServers splits on commas, trims each URL and drops empty entries", () => {
    expect(read(env.natsServers(), " nats://a:4222 ,b:4223,, tls://c.example:7422 ,")).toEqual([
      "nats://a:4222",
      "b:4223",
      "tls://c.example:7422",
    ]);
  });

  it.each(["http://a:4222", "nats://a b:4222", "nats://a:4222/path", ","])(
    "natsServers rejects %j",
    (value) => {
      expect(() => read(env.natsServers(), value)).toThrow(ConfigError);
    },
  );

  it.each([
    ["true", true],
    ["TRUE", true],
    ["1", true],
    ["Yes", true],
    ["false", false],
    ["False", false],
    ["0", false],
    ["no", false],
  ])("bool reads %j as %s", (value, expected) => {
    expect(read(env.bool(), value)).toBe(expected);
  });

  it.each(["on", "2", "y", "truthy"])(
    "bool rejects %j saying it expected true or false",
    (value) => {
      const error = configError(z.object({ FLAG: env.bool() }), { FLAG: value });

      expect(error.issues).toEqual([{ variable: "FLAG", expected: "expected true or false" }]);
    },
  );

  it("secret yields a Secret that prints as [redacted] and reveals the value", () => {
    const config = readConfig(z.object({ API_KEY: env.secret() }), { API_KEY: "sk-live-xyz" });

    expect(config.API_KEY).toBeInstanceOf(Secret);
    expect(config.API_KEY.reveal()).toBe("sk-live-xyz");
    expect(JSON.stringify(config)).toBe('{"API_KEY":"[redacted]"}');
  });

  it.each([
    ["5", 5],
    ["0", 0],
    ["10", 10],
  ])("int accepts %j", (value, expected) => {
    expect(read(env.int(0, 10), value)).toBe(expected);
  });

  it.each(["-1", "11", "2.5", "ten", "Infinity"])("int rejects %j", (value) => {
    const error = configError(z.object({ N: env.int(0, 10) }), { N: value });

    expect(error.issues).toEqual([
      { variable: "N", expected: "expected a whole number from 0 to 10" },
    ]);
  });

  it("oneOf names the words it accepts", () => {
    const error = configError(z.object({ MODE: env.oneOf(["fast", "safe"]) }), { MODE: "slow" });

    expect(error.issues).toEqual([{ variable: "MODE", expected: "expected one of: fast, safe" }]);
  });

  it.each(["patinox", "acme.patinox", "a_b-c.d1"])("subjectPrefix accepts %j", (value) => {
    expect(read(env.subjectPrefix(), value)).toBe(value);
  });

  it.each(["a..b", "a.*", "a.>", ".a", "a.", "a b"])("subjectPrefix rejects %j", (value) => {
    expect(() => read(env.subjectPrefix(), value)).toThrow(ConfigError);
  });
});
