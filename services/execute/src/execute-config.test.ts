import { ConfigError, readConfig, Secret } from "@patinox/runtime";
import { describe, expect, it } from "vitest";
import { ExecuteConfigSchema } from "./execute-config.ts";
import { ModelProviders } from "./model-providers.ts";
import { PriceTable } from "./price-table.ts";

function configError(env: Record<string, string>): ConfigError {
  try {
    readConfig(ExecuteConfigSchema, env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("execute configuration", () => {
  it("parses named providers with their keys and headers wrapped as secrets", () => {
    const config = readConfig(ExecuteConfigSchema, {
      OPENAI_API_KEY: "sk-default-key-000000",
      PATINOX_PROVIDERS: JSON.stringify({
        local: { baseURL: "http://127.0.0.1:11434/v1" },
        gateway: {
          baseURL: "https://gateway.example/v1",
          apiKey: "gw-secret-key",
          headers: { "x-token": "header-secret" },
        },
      }),
    });

    expect(config.OPENAI_API_KEY).toBeInstanceOf(Secret);
    expect(config.PATINOX_PROVIDERS?.gateway?.apiKey).toBeInstanceOf(Secret);
    const printed = JSON.stringify(config);
    expect(printed).not.toContain("gw-secret-key");
    expect(printed).not.toContain("header-secret");
    expect(printed).not.toContain("sk-default-key-000000");
    expect(ModelProviders.fromConfig(config).names).toEqual(["openai", "local", "gateway"]);
  });

  it("names the variable and the JSON path of a problem, never the value", () => {
    const error = configError({
      PATINOX_PROVIDERS: JSON.stringify({
        gateway: { baseURL: "ftp://nope", apiKey: "sk-leak-me-123456" },
      }),
    });
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]?.variable).toBe("PATINOX_PROVIDERS");
    expect(error.message).toMatch(/gateway\.baseURL: expected an http\(s\) URL/);
    expect(error.message).not.toContain("sk-leak-me-123456");
  });

  it("refuses JSON that does not parse, a provider named openai, and a negative price", () => {
    expect(configError({ PATINOX_PROVIDERS: "{ nope" }).message).toMatch(
      /PATINOX_PROVIDERS: expected JSON: an object of providers by name/,
    );
    expect(
      configError({ PATINOX_PROVIDERS: JSON.stringify({ openai: { baseURL: "http://x/v1" } }) })
        .message,
    ).toMatch(/"openai" is the provider of OPENAI_API_KEY\/OPENAI_BASE_URL/);
    expect(
      configError({
        PATINOX_MODEL_PRICES: JSON.stringify({ m: { inputPerMTok: -1, outputPerMTok: 1 } }),
      }).message,
    ).toMatch(/PATINOX_MODEL_PRICES: expected .*m\.inputPerMTok/);
  });

  it("treats blank variables as unset: no provider at all", () => {
    const config = readConfig(ExecuteConfigSchema, { OPENAI_API_KEY: " ", PATINOX_PROVIDERS: "" });
    expect(ModelProviders.fromConfig(config).names).toEqual([]);
  });

  it("prices a call per million tokens, and an unknown model at 0", () => {
    const prices = new PriceTable({ big: { inputPerMTok: 2.5, outputPerMTok: 10 } });
    expect(prices.cost("big", { inputTokens: 1_000_000, outputTokens: 500_000 })).toBe(7.5);
    expect(prices.cost("unknown", { inputTokens: 1_000, outputTokens: 1_000 })).toBe(0);
  });
});
