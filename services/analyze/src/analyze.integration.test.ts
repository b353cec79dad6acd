import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { Evolution, Finding, FindingKind, type MetricWindow, Plan } from "@patinox/contracts";
import { findingFingerprint } from "@patinox/detectors";
import { ensureStream, installationStreams } from "@patinox/streams";
import { NatsServer } from "@patinox/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findingEventId } from "./finding-lifecycle.ts";
import { AnalyzeHarness, ManualClock, waitFor } from "./test-support/analyze-harness.ts";

const W = 10_000;
const T0 = 1_700_000_000_000;
const AGENT = "support";
const SLO_FP = findingFingerprint(FindingKind.ErrorRateSlo, AGENT);

/** Window `i` of the agent: `runs` runs of which `failed` failed. */
function window(i: number, runs: number, failed: number): MetricWindow {
  return {
    v: 1,
    agent: AGENT,
    windowStart: T0 + i * W,
    windowMs: W,
    runs,
    ok: runs - failed,
    maxSteps: 0,
    failedByCode: failed > 0 ? { tool_failure: failed } : {},
    rejectedByValidator: {},
    latency: { schema: "loglinear-v1", buckets: {}, count: 0, sum: 0, min: 0, max: 0 },
    tokens: { input: 0, output: 0 },
    costUsd: 0,
    models: {},
    fallbacks: 0,
    tools: {},
    breakerOpens: 0,
    versions: {},
    highWater: {},
  };
}

/** Just before window `i` closes: windows i − 1 and i are current. */
const endOf = (i: number): number => T0 + (i + 1) * W - 1;

let nats: NatsServer;
beforeAll(async () => {
  nats = await NatsServer.start();
});
afterAll(async () => {
  await nats?.[Symbol.asyncDispose]();
});

/** Ten healthy baseline windows, then windows 10 and 11 failing 30% of runs. */
async function writeIncident(analyze: AnalyzeHarness): Promise<void> {
  for (let i = 0; i < 10; i++) await analyze.putWindow(window(i, 100, 1));
  analyze.clock.ms = endOf(11);
  await analyze.putWindow(window(10, 100, 30));
  await analyze.putWindow(window(11, 100, 30));
}

describe("analyze on a real nats-server", () => {
  it("opens a finding with one event, stays quiet on later ticks, and resolves after K healthy windows", async () => {
    await using analyze = await AnalyzeHarness.start({ nats, clock: new ManualClock(endOf(9)) });
    await writeIncident(analyze);
    // Analyze may see window 10 before 11 is written: wait until the evidence holds both.
    const opened = await analyze.waitForFinding(
      AGENT,
      SLO_FP,
      (f) => f.status === "open" && f.evidence.windows.length === 2,
    );
    expect(opened).toMatchObject({
      kind: "error_rate_slo",
      agent: AGENT,
      severity: "critical",
      dryRun: false,
    });
    expect(opened.evidence.numbers).toMatchObject({ runs: 200, failed: 60, error_rate: 0.3 });
    expect(opened.evidence.test).toBe("wilson");
    expect(opened.evidence.windows).toEqual([T0 + 10 * W, T0 + 11 * W]);

    const sloEvents = async () =>
      (await analyze.events()).filter((e) => e.finding.fingerprint === SLO_FP);
    await waitFor(
      async () => ((await sloEvents()).length === 1 ? true : undefined),
      5_000,
      "opened event",
    );
    // Several more ticks (200 ms each) with the same windows: no new event, no rewrite.
    const revision = (
      await analyze.knowledge.get(
        `findings.${AGENT}.${SLO_FP}`,
        (
          await import("@patinox/contracts")
        ).Finding,
      )
    )?.revision;
    await analyze.logged({ msg: "agent evaluated", agent: AGENT, written: 0 });
    const seen = analyze.countLogged({ msg: "agent evaluated", agent: AGENT });
    await waitFor(
      async () =>
        analyze.countLogged({ msg: "agent evaluated", agent: AGENT }) >= seen + 5
          ? true
          : undefined,
      10_000,
      "five more evaluations",
    );
    const [only] = await sloEvents();
    expect(await sloEvents()).toHaveLength(1);
    expect(only).toMatchObject({
      event: "opened",
      id: findingEventId(SLO_FP, "opened", endOf(11)),
    });
    expect(only?.finding).not.toHaveProperty("pendingEvents");
    const after = await analyze.knowledge.get(`findings.${AGENT}.${SLO_FP}`, Finding);
    expect(after?.revision).toBe(revision);
    expect(after?.value.pendingEvents ?? []).toEqual([]);

    // The fault stops. Window 12 still shares the span with bad window 11; 13 and 14 are clean.
    for (const i of [12, 13, 14]) {
      await analyze.putWindow(window(i, 100, 1));
      analyze.clock.ms = endOf(i);
      if (i === 12) {
        await analyze.waitForFinding(AGENT, SLO_FP, (f) =>
          f.evidence.windows.includes(T0 + 12 * W),
        );
      } else if (i === 13) {
        const f = await analyze.waitForFinding(AGENT, SLO_FP, (x) => x.healthyStreak === 1);
        expect(f.status).toBe("open");
        expect(f.healthyThrough).toBe(T0 + 13 * W);
      }
    }
    const resolved = await analyze.waitForFinding(AGENT, SLO_FP, (f) => f.status === "resolved");
    expect(resolved.healthyStreak).toBe(2);
    expect(resolved.resolvedAt).toBe(new Date(endOf(14)).toISOString());
    await waitFor(
      async () => ((await sloEvents()).length === 2 ? true : undefined),
      5_000,
      "resolved event",
    );
    expect((await sloEvents()).map((e) => e.event)).toEqual(["opened", "resolved"]);
  });

  it("dry-run records what it would raise and publishes nothing", async () => {
    await using analyze = await AnalyzeHarness.start({
      nats,
      clock: new ManualClock(endOf(9)),
      env: { PATINOX_ANALYZE_DRY_RUN: "all" },
    });
    await writeIncident(analyze);
    const recorded = await analyze.waitForFinding(AGENT, SLO_FP, (f) => f.status === "open");
    expect(recorded.dryRun).toBe(true);
    expect(recorded.pendingEvents ?? []).toEqual([]);
    await analyze.logged({ msg: "agent evaluated", agent: AGENT, written: 0 });
    expect(await analyze.events()).toEqual([]);
  });

  it("skips a malformed window record with a logged error and goes on", async () => {
    await using analyze = await AnalyzeHarness.start({ nats, clock: new ManualClock(endOf(9)) });
    const kv = await new Kvm(analyze.nc).open(analyze.prefix);
    await kv.put(`metrics.${AGENT}.${T0 + 3 * W}`, "{not json");
    await kv.put(
      `metrics.${AGENT}.${T0 + 4 * W}`,
      JSON.stringify({ v: 1, agent: AGENT, runs: -5 }),
    );
    await kv.put(`metrics.other.${T0 + 5 * W}`, JSON.stringify(window(5, 10, 0)));
    await writeIncident(analyze);
    const bad = await analyze.logged({
      msg: "skipping a malformed metric window",
      key: `metrics.${AGENT}.${T0 + 3 * W}`,
    });
    expect(bad.level).toBe("error");
    expect(bad.code).toBe("record_invalid");
    await analyze.logged({
      msg: "skipping a malformed metric window",
      key: `metrics.${AGENT}.${T0 + 4 * W}`,
    });
    await analyze.logged({ msg: "skipping a metric window whose agent does not match its key" });
    await analyze.waitForFinding(AGENT, SLO_FP, (f) => f.status === "open");
  });

  it("two replicas publish each transition once", async () => {
    await using analyze = await AnalyzeHarness.start({
      nats,
      clock: new ManualClock(endOf(9)),
      replicas: 2,
    });
    await writeIncident(analyze);
    await analyze.waitForFinding(AGENT, SLO_FP, (f) => f.status === "open");
    // Both replicas evaluate the incident on many ticks.
    await waitFor(
      async () =>
        analyze.countLogged({ msg: "agent evaluated", agent: AGENT }) >= 10 ? true : undefined,
      10_000,
      "ten evaluations",
    );
    const events = (await analyze.events()).filter((e) => e.finding.fingerprint === SLO_FP);
    expect(events.map((e) => e.event)).toEqual(["opened"]);
    // Not the stream's duplicate window at work: only the compare-and-set winner published.
    expect(
      analyze.countLogged({ msg: "finding opened", fingerprint: SLO_FP, via: "transition" }),
    ).toBe(1);
  });

  it("publishes an event a crash left owed, once", async () => {
    await using analyze = await AnalyzeHarness.start({ nats, clock: new ManualClock(endOf(9)) });
    const fingerprint = findingFingerprint(FindingKind.ToolTimeouts, AGENT, "search");
    const id = findingEventId(fingerprint, "opened", T0);
    // As if an Analyze instance wrote the transition and died before publishing.
    await analyze.knowledge.put(`findings.${AGENT}.${fingerprint}`, Finding, {
      v: 1,
      fingerprint,
      kind: "tool_timeouts",
      agent: AGENT,
      target: "search",
      status: "open",
      severity: "warning",
      confidence: 0.99,
      evidence: { numbers: { calls: 100, events: 50 }, windows: [T0] },
      sampleTraceIds: [],
      firstSeen: new Date(T0).toISOString(),
      lastSeen: new Date(T0).toISOString(),
      healthyStreak: 0,
      dryRun: false,
      pendingEvents: [{ id, event: "opened", at: new Date(T0).toISOString() }],
    });
    await waitFor(
      async () =>
        (await analyze.finding(AGENT, fingerprint))?.pendingEvents === undefined ? true : undefined,
      10_000,
      "outbox emptied",
    );
    const events = (await analyze.events()).filter((e) => e.finding.fingerprint === fingerprint);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ id, event: "opened" });
    expect(analyze.countLogged({ msg: "finding opened", fingerprint, via: "outbox" })).toBe(1);
  });

  it("judges an applied plan: the verdict before against after the version change, written once", async () => {
    await using analyze = await AnalyzeHarness.start({
      nats,
      clock: new ManualClock(endOf(16)),
      env: { PATINOX_ANALYZE_EVOLUTION: '{"minSamples":100,"minAfterWindows":3}' },
    });
    const fingerprint = findingFingerprint(FindingKind.ToolTimeouts, AGENT, "search");
    const toolWindow = (i: number, timeouts: number, version: string): MetricWindow => ({
      ...window(i, 100, 0),
      tools: { search: { calls: 100, errors: 0, timeouts, invalidArgs: 0 } },
      versions: { [version]: 100 },
    });
    for (let i = 0; i < 10; i++) await analyze.putWindow(toolWindow(i, 40, "1"));
    for (let i = 10; i < 15; i++) await analyze.putWindow(toolWindow(i, 1, "2"));
    const iso = (ms: number) => new Date(ms).toISOString();
    await analyze.knowledge.put(`plans.${AGENT}.p1`, Plan, {
      v: 1,
      planId: "p1",
      agent: AGENT,
      findingFingerprint: fingerprint,
      findingKind: "tool_timeouts",
      kind: "tool_timeout",
      change: [{ path: "tools.search.timeoutMs", from: 1000, to: 5000 }],
      rationale: "search times out",
      baseVersion: 1,
      appliedVersion: 2,
      status: "applied",
      history: [
        { status: "proposed", at: iso(T0) },
        { status: "applied", at: iso(T0 + 10 * W) },
      ],
      createdAt: iso(T0),
      updatedAt: iso(T0 + 10 * W),
    });
    await analyze.knowledge.put(`findings.${AGENT}.${fingerprint}`, Finding, {
      v: 1,
      fingerprint,
      kind: "tool_timeouts",
      agent: AGENT,
      target: "search",
      status: "open",
      severity: "critical",
      confidence: 1,
      evidence: { numbers: { rate: 0.4 }, windows: [T0 + 9 * W] },
      firstSeen: iso(T0),
      lastSeen: iso(T0 + 9 * W),
    });
    const verdict = await waitFor(
      async () => (await analyze.knowledge.get(`evolution.${AGENT}.p1`, Evolution))?.value,
      10_000,
      "evolution record",
    );
    expect(verdict).toMatchObject({
      planId: "p1",
      metric: "tool_timeout_rate",
      fromVersion: 1,
      toVersion: 2,
      verdict: "improved",
      before: { value: 0.4, samples: 1000 },
      after: { value: 0.01, samples: 500 },
    });
    expect(verdict.effect).toBeCloseTo(0.025, 10);
    expect(verdict.pValue).toBeLessThan(1e-10);
    // Final: later ticks (with more windows) do not rewrite it.
    const revision = (await analyze.knowledge.get(`evolution.${AGENT}.p1`, Evolution))?.revision;
    await analyze.putWindow(toolWindow(15, 90, "2"));
    const seen = analyze.countLogged({ msg: "agent evaluated", agent: AGENT });
    await waitFor(
      async () =>
        analyze.countLogged({ msg: "agent evaluated", agent: AGENT }) >= seen + 3
          ? true
          : undefined,
      10_000,
      "three more evaluations",
    );
    expect((await analyze.knowledge.get(`evolution.${AGENT}.p1`, Evolution))?.revision).toBe(
      revision,
    );
  });

  it("raises breaker flapping for Monitor's installation-wide _breakers windows, and nothing else there", async () => {
    await using analyze = await AnalyzeHarness.start({ nats, clock: new ManualClock(endOf(11)) });
    for (const i of [10, 11]) {
      await analyze.putWindow({ ...window(i, 0, 0), agent: "_breakers", breakerOpens: 2 });
    }
    const fingerprint = findingFingerprint(FindingKind.BreakerFlapping, "_breakers");
    const f = await analyze.waitForFinding("_breakers", fingerprint, (x) => x.status === "open");
    expect(f.evidence.numbers).toMatchObject({ breaker_opens: 4, windows_with_opens: 2 });
    const report = await analyze.logged({ msg: "agent evaluated", agent: "_breakers" });
    expect(report.answers).toBe(1);
  });

  it("gives an opening finding sample trace ids from the telemetry that shows the problem", async () => {
    await using analyze = await AnalyzeHarness.start({ nats, clock: new ManualClock(endOf(11)) });
    const jsm = await jetstreamManager(analyze.nc);
    await ensureStream(jsm, installationStreams({ prefix: analyze.prefix }).telemetry);
    const js = jetstream(analyze.nc);
    const trace = (n: number) => n.toString(16).padStart(32, "0");
    const toolCall = (n: number, agent: string, tool: string, status: string) => ({
      v: 1,
      id: `e${n}`,
      at: new Date(T0 + 10 * W).toISOString(),
      service: "execute",
      type: "tool.call",
      agent,
      runId: `r${n}`,
      traceId: trace(n),
      tool,
      status,
      latencyMs: 400,
      attempt: 1,
    });
    const events = [
      toolCall(1, AGENT, "search", "ok"),
      toolCall(2, AGENT, "search", "timeout"),
      toolCall(3, "other", "search", "timeout"),
      toolCall(4, AGENT, "fetch_page", "timeout"),
      toolCall(5, AGENT, "search", "timeout"),
      toolCall(6, AGENT, "search", "error"),
      toolCall(7, AGENT, "search", "timeout"),
    ];
    for (const e of events) {
      await js.publish(`${analyze.prefix}.telemetry.execute.tool.call`, JSON.stringify(e), {
        msgID: e.id,
      });
    }
    for (const i of [10, 11]) {
      await analyze.putWindow({
        ...window(i, 100, 0),
        tools: { search: { calls: 100, errors: 0, timeouts: 50, invalidArgs: 0 } },
      });
    }
    const fingerprint = findingFingerprint(FindingKind.ToolTimeouts, AGENT, "search");
    const f = await analyze.waitForFinding(AGENT, fingerprint, (x) => x.status === "open");
    expect(f.sampleTraceIds).toEqual([trace(2), trace(5), trace(7)]);
    const [event] = (await analyze.events()).filter((e) => e.finding.fingerprint === fingerprint);
    expect(event?.finding.sampleTraceIds).toEqual([trace(2), trace(5), trace(7)]);
  });
});
