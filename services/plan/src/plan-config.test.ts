import { ConfigError, readConfig } from "@patinox/runtime";
import { describe, expect, it } from "vitest";
import { PlanConfigSchema } from "./plan-config.ts";

describe("PlanConfigSchema", () => {
  it("defaults to no sink, and parses the GitHub settings once", () => {
    expect(readConfig(PlanConfigSchema, {})).toMatchObject({
      PATINOX_PLAN_SINK: "none",
      PATINOX_PLAN_BASE_BRANCH: "main",
      PATINOX_PLAN_AGENTS_PATH: "agents",
      PATINOX_PLAN_LABELS: ["patinox"],
      PATINOX_PLAN_APPLY_ON_MERGE: false,
    });
    const config = readConfig(PlanConfigSchema, {
      PATINOX_PLAN_SINK: "github",
      PATINOX_PLAN_GITHUB_REPO: "acme/behaviour",
      GITHUB_TOKEN: "ghp_secret",
      GITHUB_API_URL: "https://ghe.example.com/api/v3",
      PATINOX_PLAN_AGENTS_PATH: "/config/agents/",
      PATINOX_PLAN_LABELS: "patinox, loop",
      PATINOX_PLAN_MODELS: '[{"name":"gpt-4o-mini","speedRank":1}]',
    });
    expect(config.PATINOX_PLAN_AGENTS_PATH).toBe("config/agents");
    expect(config.PATINOX_PLAN_LABELS).toEqual(["patinox", "loop"]);
    expect(config.PATINOX_PLAN_MODELS).toEqual([{ name: "gpt-4o-mini", speedRank: 1 }]);
    expect(JSON.stringify(config)).not.toContain("ghp_secret");
    expect(config.GITHUB_TOKEN?.reveal()).toBe("ghp_secret");
  });

  it.each([
    [{ PATINOX_PLAN_SINK: "github" }, ["PATINOX_PLAN_GITHUB_REPO", "GITHUB_TOKEN"]],
    [
      { PATINOX_PLAN_SINK: "github", PATINOX_PLAN_GITHUB_REPO: "a/b", GITHUB_APP_ID: "12" },
      ["GITHUB_APP_PRIVATE_KEY", "GITHUB_APP_INSTALLATION_ID"],
    ],
    [{ PATINOX_PLAN_SINK: "git" }, ["PATINOX_PLAN_GIT_REPO"]],
    [{ PATINOX_PLAN_WEBHOOK_PORT: "8090" }, ["PATINOX_PLAN_WEBHOOK_SECRET"]],
    [{ PATINOX_PLAN_TRACE_URL: "https://x/trace" }, ["PATINOX_PLAN_TRACE_URL"]],
    [{ PATINOX_PLAN_MODELS: "not json" }, ["PATINOX_PLAN_MODELS"]],
  ])("%o is refused naming %o", (env, variables) => {
    try {
      readConfig(PlanConfigSchema, env);
      expect.unreachable("should have failed");
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).issues.map((i) => i.variable)).toEqual(variables);
    }
  });
});
