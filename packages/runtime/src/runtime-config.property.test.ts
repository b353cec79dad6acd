import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ConfigError, readConfig } from "./config.ts";
import { RuntimeConfigSchema } from "./runtime-config.ts";

const SEED = 0x5eed;
const VARIABLES = Object.keys(RuntimeConfigSchema.shape);

/** Values near the edges of what the variables accept, mixed with arbitrary text. */
const value = fc.oneof(
  fc.string(),
  fc.string({ unit: "binary" }),
  fc.constantFrom("", " ", "\t", "0", "-1", "1", "65535", "65536", "1e3", "0x10", "true"),
  fc.constantFrom("nats://127.0.0.1:4222", "a,b", ",", "tls://h:1, ws://h:2", "debug", "a.b"),
  fc.integer().map(String),
);

/** An environment: the runtime's variables (some set, some not) and unrelated ones. */
const environment = fc.dictionary(
  fc.oneof(fc.constantFrom(...VARIABLES), fc.string(), fc.constantFrom("__proto__", "toString")),
  value,
);

describe("readConfig(RuntimeConfigSchema, …) on arbitrary environments", () => {
  it("returns a frozen object or throws a ConfigError, never anything else", () => {
    fc.assert(
      fc.property(environment, (env) => {
        let config: unknown;
        try {
          config = readConfig(RuntimeConfigSchema, env);
        } catch (error) {
          expect(error).toBeInstanceOf(ConfigError);
          const issues = (error as ConfigError).issues;
          expect(issues.length).toBeGreaterThan(0);
          for (const issue of issues) expect(VARIABLES).toContain(issue.variable);
          return;
        }
        expect(Object.isFrozen(config)).toBe(true);
      }),
      { seed: SEED, numRuns: 500 },
    );
  });

  it("never puts a value it was given into the error", () => {
    const marked = fc.string().map((s) => `sk-live-${s}`);
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...VARIABLES), marked), (env) => {
        try {
          readConfig(RuntimeConfigSchema, env);
        } catch (error) {
          expect(error).toBeInstanceOf(ConfigError);
          expect((error as ConfigError).message).not.toContain("sk-live-");
          expect(JSON.stringify((error as ConfigError).issues)).not.toContain("sk-live-");
        }
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it("treats any blank value like an unset one", () => {
    const blank = fc.stringMatching(/^[ \t\r\n]*$/);
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...VARIABLES), blank), (env) => {
        expect(readConfig(RuntimeConfigSchema, env)).toEqual(readConfig(RuntimeConfigSchema, {}));
      }),
      { seed: SEED, numRuns: 200 },
    );
  });
});
