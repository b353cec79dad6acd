import {
  DEFAULT_BREAKER_POLICY,
  DEFAULT_LEASE_POLICY,
  DEFAULT_RETRY_POLICY,
} from "@patinox/resilience";
import { ConfigError, readConfig } from "@patinox/runtime";
import { describe, expect, it } from "vitest";
import { ExecuteConfigSchema } from "./execute-config.ts";

describe("resilience configuration", () => {
  it("has every default when nothing is set (or a variable is blank)", () => {
    const config = readConfig(ExecuteConfigSchema, { PATINOX_BREAKER: "" });
    expect(config.PATINOX_BREAKER).toEqual(DEFAULT_BREAKER_POLICY);
    expect(config.PATINOX_MODEL_RETRY).toEqual(DEFAULT_RETRY_POLICY);
    expect(config.PATINOX_RATE_LEASE).toEqual(DEFAULT_LEASE_POLICY);
    expect(config.PATINOX_BUDGET_REFRESH_MS).toBe(1_000);
  });

  it("takes any subset of a policy and keeps the defaults of the rest", () => {
    const config = readConfig(ExecuteConfigSchema, {
      PATINOX_BREAKER: JSON.stringify({ minimumRequests: 3, coolDownMs: 500 }),
      PATINOX_MODEL_RETRY: JSON.stringify({ maxAttempts: 1 }),
      PATINOX_RATE_LEASE: JSON.stringify({ ttlMs: 250 }),
      PATINOX_BUDGET_REFRESH_MS: "0",
    });
    expect(config.PATINOX_BREAKER).toEqual({
      ...DEFAULT_BREAKER_POLICY,
      minimumRequests: 3,
      coolDownMs: 500,
    });
    expect(config.PATINOX_MODEL_RETRY).toEqual({ ...DEFAULT_RETRY_POLICY, maxAttempts: 1 });
    expect(config.PATINOX_RATE_LEASE).toEqual({ ...DEFAULT_LEASE_POLICY, ttlMs: 250 });
    expect(config.PATINOX_BUDGET_REFRESH_MS).toBe(0);
  });

  it("names the variable and the field of a bad setting, and refuses unknown fields", () => {
    const problems = (env: Record<string, string>) => {
      try {
        readConfig(ExecuteConfigSchema, env);
      } catch (error) {
        if (error instanceof ConfigError) return error.message;
        throw error;
      }
      throw new Error("expected a ConfigError");
    };
    expect(problems({ PATINOX_BREAKER: JSON.stringify({ failureRatio: 1.5 }) })).toMatch(
      /PATINOX_BREAKER.*failureRatio/,
    );
    expect(problems({ PATINOX_MODEL_RETRY: JSON.stringify({ retries: 3 }) })).toMatch(
      /PATINOX_MODEL_RETRY/,
    );
    expect(problems({ PATINOX_RATE_LEASE: "{not json" })).toMatch(
      /PATINOX_RATE_LEASE.*expected JSON/,
    );
  });
});
