import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkDockerfile } from "./dockerfile-rules.ts";
import { DEPLOY_DIR, REPO_ROOT } from "./repo.ts";

const dockerfile = readFileSync(join(DEPLOY_DIR, "Dockerfile"), "utf8");
const rules = (text: string) => checkDockerfile(text).map((p) => p.rule);

describe("deploy/Dockerfile", () => {
  it("passes the linter and every image rule", () => {
    expect(checkDockerfile(dockerfile)).toEqual([]);
  });

  it("pins a Node LTS slim base by exact release", () => {
    const base = /^ARG NODE_IMAGE=(\S+)$/m.exec(dockerfile)?.[1] ?? "";
    expect(base).toMatch(/^node:(2[02468])\.\d+\.\d+-[a-z]+-slim(@sha256:[0-9a-f]{64})?$/);
  });

  it("builds the service chosen by build argument with pnpm deploy --prod", () => {
    expect(dockerfile).toMatch(/^RUN pnpm --filter "@patinox\/\$\{SERVICE\}" --prod deploy/m);
    expect(dockerfile).toMatch(/^ENTRYPOINT \["node", "--enable-source-maps", "dist\/main.js"\]$/m);
  });

  // Each rule must be able to fail, or the clean result above proves nothing.
  it.each([
    ["pinned-base", dockerfile.replace("node:24.21.0-trixie-slim", "node:24-slim")],
    ["pinned-base", dockerfile.replace("node:24.21.0-trixie-slim", "node:latest")],
    ["non-root", dockerfile.replace("USER 1000:1000", "USER root")],
    ["non-root", dockerfile.replace("USER 1000:1000", "")],
    ["node-env", dockerfile.replace("NODE_ENV=production", "NODE_ENV=development")],
    [
      "exec-form",
      dockerfile.replace(
        'ENTRYPOINT ["node", "--enable-source-maps", "dist/main.js"]',
        "ENTRYPOINT node dist/main.js",
      ),
    ],
    ["prod-deploy", dockerfile.replace("--prod deploy", "deploy")],
    ["runtime-stage", dockerfile.replace("WORKDIR /app", "WORKDIR /app\nCOPY . /app")],
    ["runtime-stage", dockerfile.replace("WORKDIR /app", "WORKDIR /app\nRUN apt-get update")],
    [
      "no-add",
      dockerfile.replace("WORKDIR /src", "WORKDIR /src\nADD https://example.com/x.tgz /x"),
    ],
    ["no-secret", dockerfile.replace("ARG VERSION=0.1.0", "ARG OPENAI_API_KEY=sk-nope")],
  ])("reports %s when the rule is broken", (rule, broken) => {
    expect(rules(broken)).toContain(rule);
  });

  it("reports what the linter itself finds (an unknown instruction)", () => {
    expect(
      rules(`${dockerfile}\nFROBNICATE now\n`).some((r) => r.startsWith("dockerfile-utils/")),
    ).toBe(true);
  });
});

describe(".dockerignore", () => {
  const ignore = readFileSync(join(REPO_ROOT, ".dockerignore"), "utf8")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));

  it("keeps installed, built and local files and credentials out of the build context", () => {
    for (const pattern of [
      ".git",
      "**/node_modules",
      "**/dist",
      "**/.env",
      "**/*.creds",
      "**/*.nk",
    ]) {
      expect(ignore).toContain(pattern);
    }
  });

  it("keeps what the build needs (lockfile, workspace manifest, sources)", () => {
    for (const needed of [
      "pnpm-lock.yaml",
      "pnpm-workspace.yaml",
      ".npmrc",
      "packages",
      "services",
    ]) {
      expect(ignore.some((p) => p === needed || p === `${needed}/**`)).toBe(false);
    }
  });
});
