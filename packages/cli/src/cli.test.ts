import { freePort } from "@patinox/testkit";
import { describe, expect, it } from "vitest";
import { runCli } from "./cli.ts";
import { ExitCode } from "./exit-code.ts";
import { CapturedIo } from "./test-support/captured-io.ts";

async function run(argv: string[], env: Record<string, string> = {}) {
  const io = new CapturedIo(env);
  const exitCode = await runCli(argv, io);
  return { exitCode, stdout: io.stdoutText, stderr: io.stderrText };
}

describe("runCli without a server", () => {
  it("prints the usage of the command named before --help", async () => {
    const root = await run(["--help"]);
    expect(root.exitCode).toBe(ExitCode.Ok);
    expect(root.stdout).toMatch(/status\|kv/);
    const get = await run(["kv", "get", "--help"]);
    expect(get.stdout).toMatch(/patinox kv get/);
    expect(get.stdout).toMatch(/--timeout/);
  });

  it("prints the version", async () => {
    expect((await run(["--version"])).stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });

  it("exits 64 with the usage for an unknown command or a missing argument", async () => {
    const unknown = await run(["staus"]);
    expect(unknown.exitCode).toBe(ExitCode.Usage);
    expect(unknown.stderr).toMatch(/patinox: Unknown command .*staus/);
    const missing = await run(["kv", "get"]);
    expect(missing.exitCode).toBe(ExitCode.Usage);
    expect(missing.stderr).toMatch(/Missing required positional argument: KEY/);
  });

  it("exits 64 for a malformed --timeout before connecting", async () => {
    const result = await run(["status", "--timeout", "soon"], { NATS_URL: "nats://127.0.0.1:1" });
    expect(result.exitCode).toBe(ExitCode.Usage);
    expect(result.stderr).toMatch(/--timeout/);
  });

  it("exits 78 naming the variable when the configuration is invalid", async () => {
    const result = await run(["status"], { NATS_URL: "http://host/path", PATINOX_BUCKET: "a.b" });
    expect(result.exitCode).toBe(ExitCode.Config);
    expect(result.stderr).toMatch(/NATS_URL: expected/);
    expect(result.stderr).toMatch(/PATINOX_BUCKET: expected/);
  });

  it("exits 69 with one friendly line when NATS is not there", async () => {
    const url = `nats://127.0.0.1:${await freePort()}`;
    const result = await run(["kv", "ls"], { NATS_URL: url });
    expect(result.exitCode).toBe(ExitCode.Unavailable);
    expect(result.stderr).toBe(
      `patinox: cannot reach NATS at ${url} (connection refused). Start it with \`pnpm start\`, or set NATS_URL.\n`,
    );
    expect(result.stdout).toBe("");
  });

  it("adds a machine-readable error line on stdout with --json, wherever --json is written", async () => {
    const url = `nats://[redacted]@127.0.0.1:${await freePort()}`;
    for (const argv of [
      ["--json", "status"],
      ["status", "--json"],
    ]) {
      const result = await run(argv, { NATS_URL: url.replace("[redacted]", "me:secret") });
      expect(result.exitCode).toBe(ExitCode.Unavailable);
      expect(result.stdout).not.toContain("secret");
      expect(JSON.parse(result.stdout)).toEqual({
        error: { code: "nats_unreachable", message: expect.stringContaining(url), exitCode: 69 },
      });
    }
  });
});
