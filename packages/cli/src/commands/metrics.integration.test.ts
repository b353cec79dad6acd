import { Kvm } from "@nats-io/kv";
import { MetricWindow } from "@patinox/contracts";
import { NatsServer } from "@patinox/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../cli.ts";
import { ExitCode } from "../exit-code.ts";
import { CapturedIo } from "../test-support/captured-io.ts";
import { testConnection } from "../test-support/connection.ts";

let server: NatsServer;

beforeAll(async () => {
  server = await NatsServer.start();
  const nc = await testConnection(server.url);
  const kv = await new Kvm(nc).create("patinox", { history: 10, storage: "file" });
  const start = Date.UTC(2026, 0, 1, 12, 0, 0);
  for (let i = 0; i < 20; i++) {
    const window = MetricWindow.parse({
      v: 1,
      agent: "support",
      windowStart: start + i * 60_000,
      windowMs: 60_000,
      runs: 10 + i,
      ok: 10 + i,
    });
    await kv.put(`metrics.support.${window.windowStart}`, JSON.stringify(window));
  }
  await kv.put(`metrics.support.${start + 20 * 60_000}`, JSON.stringify({ v: 1, nonsense: true }));
  await kv.put(`metrics.other.${start}`, JSON.stringify({ v: 1 }));
  await nc.close();
});
afterAll(async () => {
  await server?.[Symbol.asyncDispose]();
});

describe("patinox metrics", () => {
  it("shows the latest windows oldest first, and names a window it cannot read", async () => {
    const io = new CapturedIo({ NATS_URL: server.url });
    expect(await runCli(["metrics", "support", "--last", "5"], io)).toBe(ExitCode.Ok);
    const rows = io.stdoutText.split("\n").filter((l) => /^\d\d:\d\d:\d\d/.test(l));
    // The newest key is unreadable: it is reported and the 5 readable windows before it shown.
    expect(rows.map((r) => r.slice(0, 8))).toEqual([
      "12:15:00",
      "12:16:00",
      "12:17:00",
      "12:18:00",
      "12:19:00",
    ]);
    expect(io.stdoutText).toMatch(/\ntrend\s+▁▃▅▆█/);
    expect(io.stderrText).toContain("skipped metrics.support.");
  });

  it("prints the windows as JSON with --json", async () => {
    const io = new CapturedIo({ NATS_URL: server.url });
    expect(await runCli(["metrics", "support", "--json"], io)).toBe(ExitCode.Ok);
    const document = JSON.parse(io.stdoutText) as { agent: string; windows: MetricWindow[] };
    expect(document.agent).toBe("support");
    expect(document.windows).toHaveLength(15);
    expect(document.windows.map((w) => w.runs)).toEqual(
      Array.from({ length: 15 }, (_, i) => 15 + i),
    );
  });

  it("refuses a name that cannot be an agent and a bad --last as usage errors", async () => {
    const io = new CapturedIo({ NATS_URL: server.url });
    expect(await runCli(["metrics", "a.b"], io)).toBe(ExitCode.Usage);
    expect(await runCli(["metrics", "support", "--last", "0"], io)).toBe(ExitCode.Usage);
  });
});
