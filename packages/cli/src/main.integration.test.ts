import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Kvm } from "@nats-io/kv";
import { freePort, NatsServer } from "@patinox/testkit";
import { describe, expect, it } from "vitest";
import type { ApplyReport } from "./agents.ts";
import type { StatusReport } from "./status.ts";
import { testConnection } from "./test-support/connection.ts";
import { registerService } from "./test-support/micro-service.ts";

const MAIN = fileURLToPath(new URL("./main.ts", import.meta.url));
const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));

interface Run {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `patinox` as the root script does (`pnpm patinox …`): node with tsx, from the repo root. */
function patinox(args: readonly string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--conditions=@patinox/source", "--import", "tsx", MAIN, ...args],
      {
        cwd: REPO_ROOT,
        env: { ...process.env, NATS_URL: "", PATINOX_BUCKET: "", ...env },
        timeout: 20_000,
      },
      (error, stdout, stderr) => {
        const exitCode = error ? (typeof error.code === "number" ? error.code : -1) : 0;
        resolve({ exitCode, stdout, stderr });
      },
    );
  });
}

describe("the patinox command, run as a user runs it", () => {
  it("status --json reports the running services and the missing ones, exit 0", async () => {
    await using server = await NatsServer.start();
    await using nc = await testConnection(server.url);
    await new Kvm(nc).create("patinox", { history: 10 });
    await using _execute = await registerService(nc, {
      name: "execute",
      metadata: { instance: "exec-1", prefix: "patinox", bucket: "patinox" },
      endpoints: ["run"],
    });

    const run = await patinox(["status", "--json"], { NATS_URL: server.url });

    expect(run.stderr).toBe("");
    expect(run.exitCode).toBe(0);
    const report = JSON.parse(run.stdout) as StatusReport;
    expect(report.services.map((s) => [s.name, s.instance])).toEqual([["execute", "exec-1"]]);
    expect(report.missing).toEqual(["monitor", "analyze", "plan"]);
    expect(report.knowledge).toMatchObject({ found: true, bucket: "patinox", values: 0 });
  });

  it("kv get of a missing key says `not found` and exits 1", async () => {
    await using server = await NatsServer.start();
    await using nc = await testConnection(server.url);
    await new Kvm(nc).create("patinox", { history: 10 });

    const run = await patinox(["kv", "get", "agents.none.config"], { NATS_URL: server.url });

    expect(run.exitCode).toBe(1);
    expect(run.stderr).toBe("patinox: not found: agents.none.config (bucket patinox)\n");
  });

  it("exits 69 with one friendly line, and no stack trace, when NATS is not there", async () => {
    const url = `nats://127.0.0.1:${await freePort()}`;

    const run = await patinox(["status"], { NATS_URL: url });

    expect(run.exitCode).toBe(69);
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe(
      `patinox: cannot reach NATS at ${url} (connection refused). Start it with \`pnpm start\`, or set NATS_URL.\n`,
    );
  });

  it("agents apply examples/agents --json, from the repository root, makes the examples live", async () => {
    await using server = await NatsServer.start();
    await using nc = await testConnection(server.url);
    const kv = await new Kvm(nc).create("patinox", { history: 10 });

    const run = await patinox(["agents", "apply", "examples/agents", "--json"], {
      NATS_URL: server.url,
    });

    expect(run.stderr).toBe("");
    expect(run.exitCode).toBe(0);
    const report = JSON.parse(run.stdout) as ApplyReport;
    expect(report.agents.map((a) => [a.agent, a.file, a.outcome, a.version])).toEqual([
      ["summarizer", "examples/agents/summarizer.yaml", "created", 1],
      ["support", "examples/agents/support.yaml", "created", 1],
      ["triage", "examples/agents/triage.yaml", "created", 1],
    ]);
    const live = await kv.get("agents.support.config");
    expect(live?.json<{ version: number; source: string }>()).toMatchObject({
      version: 1,
      source: "examples/agents/support.yaml",
    });
  });

  it("agents apply of an invalid file exits 65 naming file, line, column and field", async () => {
    const dir = await mkdtemp(join(tmpdir(), "patinox-main-"));
    try {
      const file = join(dir, "support.yaml");
      await writeFile(file, "v: 1\nname: support\nmodel:\n  name: m\n  colour: blue\n");

      const run = await patinox(["agents", "apply", file], {
        NATS_URL: `nats://127.0.0.1:${await freePort()}`,
      });

      expect(run.exitCode).toBe(65);
      expect(run.stdout).toBe("");
      expect(run.stderr).toBe(
        [
          "patinox: invalid agent definition (2 problems in 1 file); nothing was applied:",
          `${file}:1:1 instructions: required field is missing`,
          `${file}:5:3 model.colour: unknown field`,
          "",
        ].join("\n"),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
