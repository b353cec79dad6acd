import { existsSync, readdirSync, readFileSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PATINOX_SERVICES, streamNames } from "@patinox/contracts";
import { freePort } from "@patinox/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NatsRole } from "./nats-permissions.ts";
import { DEPLOY_DIR, REPO_ROOT } from "./repo.ts";
import { Child, run, waitForHttp } from "./test-support/child.ts";
import { type SecuredNats, startSecuredNats } from "./test-support/secured-nats.ts";

/**
 * What the image runs, checked without a Docker engine: each service is built and deployed
 * exactly as deploy/Dockerfile's build stage does (`turbo run build`, `pnpm deploy --prod
 * --legacy`), then started from the deploy output with the image's ENTRYPOINT and
 * `NODE_ENV=production` against a real nats-server running deploy/nats/authorization.conf,
 * each with its own nkey, as PID 1 would be in the container. The prod overlay's JetStream
 * setup Job runs its script the same way, from the execute image.
 */
const dockerfile = readFileSync(join(DEPLOY_DIR, "Dockerfile"), "utf8");
const entrypoint = JSON.parse(/^ENTRYPOINT (\[.*\])$/m.exec(dockerfile)?.[1] ?? "[]") as string[];
const DEV_ONLY = [
  "vitest",
  "@patinox+testkit",
  "@patinox+github-testkit",
  "fast-check",
  "typescript",
  "tsx",
  "@biomejs",
  "turbo",
];

let outRoot: string;
let nats: SecuredNats;

beforeAll(async () => {
  outRoot = await mkdtemp(join(tmpdir(), "patinox-deploy-"));
  nats = await startSecuredNats();
  await run(
    "pnpm",
    ["exec", "turbo", "run", "build", ...PATINOX_SERVICES.map((s) => `--filter=@patinox/${s}...`)],
    REPO_ROOT,
  );
});

afterAll(async () => {
  await nats?.server[Symbol.asyncDispose]();
  if (outRoot) await rm(outRoot, { recursive: true, force: true });
});

describe.each(PATINOX_SERVICES)("the %s image's start command", (service) => {
  let app: string;

  beforeAll(async () => {
    app = join(outRoot, service);
    await run(
      "pnpm",
      ["--filter", `@patinox/${service}`, "--prod", "deploy", "--legacy", app],
      REPO_ROOT,
    );
  });

  it("holds the built service and production dependencies only", () => {
    expect(existsSync(join(app, "dist", "main.js"))).toBe(true);
    expect(existsSync(join(app, "src"))).toBe(false);
    const installed = readdirSync(join(app, "node_modules", ".pnpm"));
    for (const devOnly of DEV_ONLY) {
      expect(installed.filter((name) => name.startsWith(devOnly))).toEqual([]);
    }
  });

  it("starts, answers /healthz and /readyz, and exits 0 on SIGTERM", async () => {
    const port = await freePort();
    const [command = "", ...args] = entrypoint;
    await using child = new Child(command === "node" ? process.execPath : command, args, {
      cwd: app,
      // Only what a pod would have: no workspace, no source condition, no dev tooling.
      env: {
        PATH: process.env.PATH,
        HOME: app,
        NODE_ENV: "production",
        NATS_URL: nats.server.url,
        NATS_NKEY_SEED: nats.users[service as NatsRole].seed,
        PATINOX_HEALTH_PORT: String(port),
        PATINOX_INSTANCE_ID: `${service}-image-test`,
      },
    });
    expect(await waitForHttp(`http://127.0.0.1:${port}/healthz`, 200)).toMatchObject({
      status: "ok",
    });
    expect(await waitForHttp(`http://127.0.0.1:${port}/readyz`, 200)).toMatchObject({
      status: "ready",
    });
    const { code, signal } = await child.terminate();
    expect({ code, signal, output: code === 0 ? "" : child.output }).toEqual({
      code: 0,
      signal: null,
      output: "",
    });
    expect(child.output).toContain('"msg":"stopped"');
  });
});

describe("the prod overlay's JetStream setup Job", () => {
  const script = join(DEPLOY_DIR, "k8s", "overlays", "prod", "ensure-jetstream.mjs");

  it("creates the bucket and every stream from the execute image as the setup user, idempotently", async () => {
    const app = join(outRoot, "execute");
    await mkdir(join(app, "setup"), { recursive: true });
    await copyFile(script, join(app, "setup", "ensure-jetstream.mjs"));
    const env = {
      PATH: process.env.PATH,
      HOME: app,
      NODE_ENV: "production",
      NATS_URL: nats.server.url,
      NATS_NKEY_SEED: nats.users.setup.seed,
      PATINOX_BUCKET_REPLICAS: "1",
      PATINOX_STREAM_REPLICAS: "1",
    };
    const runSetup = async () => {
      const child = new Child(process.execPath, ["setup/ensure-jetstream.mjs"], { cwd: app, env });
      const { code } = await child.exited;
      expect({ code, output: code === 0 ? "" : child.output }).toEqual({ code: 0, output: "" });
      return child.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    };
    const first = await runSetup();
    const streams = first.filter((l) => l.msg === "stream ready");
    expect(streams.map((l) => l.stream).sort()).toEqual(
      Object.values(streamNames("patinox")).sort(),
    );
    expect(first.find((l) => l.msg === "knowledge bucket ready")).toMatchObject({
      bucket: "patinox",
    });
    // A second run changes nothing.
    const second = await runSetup();
    expect(
      second.filter((l) => l.msg === "stream ready").every((l) => l.action === "unchanged"),
    ).toBe(true);
  });

  it("refuses bad configuration with exit 78", async () => {
    const app = join(outRoot, "execute");
    const child = new Child(process.execPath, ["setup/ensure-jetstream.mjs"], {
      cwd: app,
      env: { PATH: process.env.PATH, NATS_URL: nats.server.url, PATINOX_STREAM_REPLICAS: "seven" },
    });
    expect((await child.exited).code).toBe(78);
    expect(child.output).toContain("PATINOX_STREAM_REPLICAS");
  });
});
