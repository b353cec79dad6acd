import { Kvm } from "@nats-io/kv";
import { Evolution, Plan } from "@patinox/contracts";
import { NatsServer } from "@patinox/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../cli.ts";
import { ExitCode } from "../exit-code.ts";
import { CapturedIo } from "../test-support/captured-io.ts";
import { testConnection } from "../test-support/connection.ts";

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);
const at = (minutesAgo: number) => new Date(NOW - minutesAgo * 60_000).toISOString();

function plan(overrides: Partial<Plan> & Pick<Plan, "planId" | "agent">): Plan {
  return Plan.parse({
    v: 1,
    findingFingerprint: "fp-timeouts",
    findingKind: "tool_timeouts",
    kind: "tool_timeout",
    change: [{ path: "tools.lookup_order.timeoutMs", from: 5000, to: 10000 }],
    rationale: "Calls to lookup_order time out.",
    baseVersion: 1,
    status: "pr-open",
    history: [
      { status: "proposed", at: at(10) },
      { status: "pr-open", at: at(9), reason: "https://github.com/acme/behaviour/pull/7" },
    ],
    pr: {
      sink: "github",
      branch: "patinox/support/tool_timeouts-fp-timeouts",
      number: 7,
      url: "https://github.com/acme/behaviour/pull/7",
    },
    createdAt: at(10),
    updatedAt: at(9),
    ...overrides,
  });
}

let server: NatsServer;

beforeAll(async () => {
  server = await NatsServer.start();
  const nc = await testConnection(server.url);
  const kv = await new Kvm(nc).create("patinox", { history: 10, storage: "file" });
  const open = plan({ planId: "fp-timeouts-1", agent: "support" });
  const applied = plan({
    planId: "fp-lat-1",
    agent: "billing",
    findingFingerprint: "fp-lat",
    findingKind: "latency_slo",
    status: "applied",
    appliedVersion: 3,
    createdAt: at(30),
    updatedAt: at(20),
  });
  await kv.put("plans.support.fp-timeouts-1", JSON.stringify(open));
  await kv.put("plans.billing.fp-lat-1", JSON.stringify(applied));
  await kv.put("plans.support.broken", JSON.stringify({ v: 1 }));
  const verdict: Evolution = Evolution.parse({
    v: 1,
    planId: "fp-lat-1",
    agent: "billing",
    metric: "p95_latency_ms",
    fromVersion: 2,
    toVersion: 3,
    before: { value: 9000, samples: 300, windows: [1] },
    after: { value: 4000, samples: 280, windows: [2] },
    verdict: "improved",
    pValue: 0.001,
    at: at(1),
  });
  await kv.put("evolution.billing.fp-lat-1", JSON.stringify(verdict));
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

describe("patinox plans / plan show", () => {
  it("lists plans newest first with status, change and pull request, and names a record it cannot read", async () => {
    const io = cli();
    expect(await runCli(["plans"], io)).toBe(ExitCode.Ok);
    const lines = io.stdoutText.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^PLAN\s+AGENT\s+FOR\s+STATUS\s+CHANGE\s+PULL REQUEST\s+UPDATED/);
    expect(lines[1]).toMatch(
      /^fp-timeouts-1\s+support\s+tool_timeouts\s+pr-open\s+tools\.lookup_order\.timeoutMs=10000\s+https:\/\/github\.com\/acme\/behaviour\/pull\/7\s+9m ago$/,
    );
    expect(lines[2]).toMatch(/^fp-lat-1\s+billing\s+latency_slo\s+applied/);
    expect(io.stderrText).toContain("skipped plans.support.broken: not a valid plan");
  });

  it("--agent narrows; --json gives the records", async () => {
    const io = cli();
    expect(await runCli(["plans", "--agent", "billing", "--json"], io)).toBe(ExitCode.Ok);
    const doc = JSON.parse(io.stdoutText) as { plans: Plan[] };
    expect(doc.plans.map((p) => p.planId)).toEqual(["fp-lat-1"]);
  });

  it("plan show gives the change, pull request, history and verdict", async () => {
    const io = cli();
    expect(await runCli(["plan", "show", "fp-lat-1"], io)).toBe(ExitCode.Ok);
    expect(io.stdoutText).toContain("status: applied");
    expect(io.stdoutText).toContain("tools.lookup_order.timeoutMs: 5000 → 10000");
    expect(io.stdoutText).toContain("applied as version 3");
    expect(io.stdoutText).toContain("pull request: https://github.com/acme/behaviour/pull/7");
    expect(io.stdoutText).toMatch(/history:\n {2}\S+ {2}proposed\n {2}\S+ {2}pr-open/);
    expect(io.stdoutText).toContain(
      "verdict: improved — p95_latency_ms 9000 → 4000 (versions 2 → 3, p=0.001)",
    );
    const json = cli();
    expect(await runCli(["plan", "show", "fp-timeouts-1", "--json"], json)).toBe(ExitCode.Ok);
    expect(JSON.parse(json.stdoutText)).toMatchObject({
      plan: { planId: "fp-timeouts-1" },
      finding: null,
      verdict: null,
    });
  });

  it("an unknown plan is not found; a bad id is a usage error", async () => {
    expect(await runCli(["plan", "show", "nope"], cli())).toBe(ExitCode.NotFound);
    expect(await runCli(["plan", "show", "no.dots"], cli())).toBe(ExitCode.Usage);
  });
});
