import { type ChangeSink, GitHubSink, GitSink } from "@patinox/pr-sinks";
import type { Logger } from "pino";
import type { PlanConfig } from "./plan-config.ts";

/** The sink the configuration names; `undefined` for `none`. Secrets are revealed only here, into the client. */
export function sinkFromConfig(config: PlanConfig, logger: Logger): ChangeSink | undefined {
  switch (config.PATINOX_PLAN_SINK) {
    case "github": {
      const [owner, repo] = (config.PATINOX_PLAN_GITHUB_REPO ?? "/").split("/") as [string, string];
      const auth = config.GITHUB_TOKEN
        ? { kind: "token" as const, token: config.GITHUB_TOKEN.reveal() }
        : {
            kind: "app" as const,
            appId: config.GITHUB_APP_ID ?? "",
            privateKey: config.GITHUB_APP_PRIVATE_KEY?.reveal() ?? "",
            installationId: config.GITHUB_APP_INSTALLATION_ID ?? 0,
          };
      return new GitHubSink({
        owner,
        repo,
        baseBranch: config.PATINOX_PLAN_BASE_BRANCH,
        ...(config.GITHUB_API_URL ? { baseUrl: config.GITHUB_API_URL } : {}),
        auth,
        maxRateLimitWaitMs: config.PATINOX_PLAN_GITHUB_MAX_WAIT_MS,
        minWriteIntervalMs: config.PATINOX_PLAN_GITHUB_WRITE_INTERVAL_MS,
        warn: (message) => logger.warn({ sink: "github" }, message),
      });
    }
    case "git":
      return new GitSink({
        repository: config.PATINOX_PLAN_GIT_REPO ?? ".",
        baseBranch: config.PATINOX_PLAN_BASE_BRANCH,
      });
    default:
      return undefined;
  }
}
