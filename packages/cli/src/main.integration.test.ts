import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Kvm } from "@nats-io/kv";
import { freePort, NatsServer } from "@patinox/testkit";
import { describe, expect, it } from "vitest";
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
});
