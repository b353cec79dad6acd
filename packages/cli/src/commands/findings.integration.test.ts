import { Kvm } from "@nats-io/kv";
import { Finding } from "@patinox/contracts";
import { NatsServer } from "@patinox/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../cli.ts";
import { ExitCode } from "../exit-code.ts";
import { CapturedIo } from "../test-support/captured-io.ts";
import { testConnection } from "../test-support/connection.ts";

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);

function finding(
  overrides: Partial<Finding> & Pick<Finding, "agent" | "fingerprint" | "kind">,
): Finding {
  return Finding.parse({
    v: 1,
    status: "open",
    severity: "warning",
    confidence: 0.995,
    evidence: {
      numbers: { rate: 0.5, error_rate: 0.12, p95_latency_ms: 4200 },
      windows: [NOW - 120_000],
    },
    firstSeen: new Date(NOW - 600_000).toISOString(),
    lastSeen: new Date(NOW - 30_000).toISOString(),
    ...overrides,
  });
}

let server: NatsServer;

beforeAll(async () => {
  server = await NatsServer.start();
  const nc = await testConnection(server.url);
  const kv = await new Kvm(nc).create("patinox", { history: 10, storage: "file" });
  const records = [
    finding({
      agent: "support",
      fingerprint: "tool_timeouts-aaaa",
      kind: "tool_timeouts",
      target: "search",
      severity: "critical",
    }),
    finding({
      agent: "support",
      fingerprint: "error_rate_slo-bbbb",
      kind: "error_rate_slo",
      status: "resolved",
      resolvedAt: new Date(NOW).toISOString(),
    }),
    finding({
      agent: "billing",
      fingerprint: "latency_slo-cccc",
      kind: "latency_slo",
      dryRun: true,
    }),
  ];
  for (const f of records) await kv.put(`findings.${f.agent}.${f.fingerprint}`, JSON.stringify(f));
  await kv.put("findings.support.broken", JSON.stringify({ v: 1, nonsense: true }));
  await nc.close();
});
afterAll(async () => {
  await server?.[Symbol.asyncDispose]();
});

function cli() {
  const io = new CapturedIo({ NATS_URL: server.url });
  (io as { now?: () => Date }).now = () => new Date(NOW);
  return io;
}

describe("patinox findings", () => {
  it("lists open findings, critical first, with the headline number, and names a record it cannot read", async () => {
    const io = cli();
    expect(await runCli(["findings"], io)).toBe(ExitCode.Ok);
    const lines = io.stdoutText.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^AGENT\s+KIND\s+TARGET\s+SEVERITY\s+STATUS\s+VALUE/);
    expect(lines).toHaveLength(3);
    expect(lines[1]).toMatch(
      /^support\s+tool_timeouts\s+search\s+critical\s+open\s+50\.0%\s+99\.5%\s+10m ago\s+30s ago\s+tool_timeouts-aaaa$/,
    );
    expect(lines[2]).toMatch(/^billing\s+latency_slo\s+-\s+warning\s+open \(dry-run\)\s+4200 ms/);
    expect(io.stderrText).toContain("skipped findings.support.broken: not a valid finding");
  });

  it("--all adds resolved findings; --agent narrows to one agent", async () => {
    const io = cli();
    expect(await runCli(["findings", "--all", "--agent", "support"], io)).toBe(ExitCode.Ok);
    const lines = io.stdoutText.trimEnd().split("\n").slice(1);
    expect(lines.map((l) => l.split(/\s+/)[1])).toEqual(["tool_timeouts", "error_rate_slo"]);
    expect(lines[1]).toMatch(/resolved\s+12\.0%/);
  });

  it("--json gives the records as stored", async () => {
    const io = cli();
    expect(await runCli(["findings", "--json", "--agent", "billing"], io)).toBe(ExitCode.Ok);
    const doc = JSON.parse(io.stdoutText) as { bucket: string; findings: Finding[] };
    expect(doc.bucket).toBe("patinox");
    expect(doc.findings.map((f) => f.fingerprint)).toEqual(["latency_slo-cccc"]);
    expect(doc.findings[0]).toMatchObject({
      dryRun: true,
      evidence: { numbers: { p95_latency_ms: 4200 } },
    });
  });

  it("says so when there is nothing, and refuses a bad agent name", async () => {
    const io = cli();
    expect(await runCli(["findings", "--agent", "nobody"], io)).toBe(ExitCode.Ok);
    expect(io.stdoutText).toBe("no findings\n");
    const bad = cli();
    expect(await runCli(["findings", "--agent", "no.dots"], bad)).toBe(ExitCode.Usage);
  });
});
