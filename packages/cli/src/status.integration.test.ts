import { Kvm } from "@nats-io/kv";
import { NatsServer } from "@patinox/testkit";
import { describe, expect, it } from "vitest";
import { runCli } from "./cli.ts";
import { ExitCode } from "./exit-code.ts";
import { collectStatus, type StatusReport } from "./status.ts";
import { CapturedIo } from "./test-support/captured-io.ts";
import { testConnection } from "./test-support/connection.ts";
import { registerService } from "./test-support/micro-service.ts";

const patinox = (instance: string) => ({ instance, prefix: "patinox", bucket: "patinox" });

describe("collectStatus", () => {
  it("finds the registered services in loop order and names the missing ones", async () => {
    await using server = await NatsServer.start();
    await using nc = await testConnection(server.url);
    await using _execute = await registerService(nc, {
      name: "execute",
      version: "1.2.3",
      metadata: patinox("exec-1"),
      endpoints: ["run", "status"],
    });
    await using _monitorB = await registerService(nc, {
      name: "monitor",
      metadata: patinox("mon-b"),
    });
    await using _monitorA = await registerService(nc, {
      name: "monitor",
      metadata: patinox("mon-a"),
    });

    const report = await collectStatus(nc, {
      bucket: "patinox",
      prefix: "patinox",
      timeoutMs: 1000,
    });

    expect(report.services.map((s) => `${s.name}/${s.instance}`)).toEqual([
      "execute/exec-1",
      "monitor/mon-a",
      "monitor/mon-b",
    ]);
    expect(report.missing).toEqual(["analyze", "plan"]);
    const execute = report.services[0];
    expect(execute).toMatchObject({
      name: "execute",
      instance: "exec-1",
      version: "1.2.3",
      endpoints: [
        { name: "run", subject: "patinox.svc.execute.run" },
        { name: "status", subject: "patinox.svc.execute.status" },
      ],
      metadata: { instance: "exec-1", prefix: "patinox", bucket: "patinox" },
    });
    expect(execute?.id).toMatch(/^\w+$/);
  });

  it("measures uptime from the start time the service reports, against the given clock", async () => {
    await using server = await NatsServer.start();
    await using nc = await testConnection(server.url);
    await using _plan = await registerService(nc, { name: "plan", metadata: patinox("plan-1") });
    const now = new Date(Date.now() + 3_600_000);

    const [plan] = (await collectStatus(nc, { bucket: "patinox", now: () => now })).services;

    expect(plan?.startedAt).not.toBeNull();
    expect(plan?.uptimeMs).toBe(now.getTime() - Date.parse(plan?.startedAt ?? ""));
    expect(plan?.uptimeMs).toBeGreaterThan(3_590_000);
  });

  it("keeps services of another deployment or another kind apart, and uses the id without an instance", async () => {
    await using server = await NatsServer.start();
    await using nc = await testConnection(server.url);
    await using _foreign = await registerService(nc, {
      name: "analyze",
      metadata: { instance: "x", prefix: "acme" },
    });
    await using _unrelated = await registerService(nc, { name: "billing" });

    const report = await collectStatus(nc, { bucket: "patinox", prefix: "patinox" });

    expect(report.services).toEqual([]);
    expect(report.missing).toEqual(["execute", "monitor", "analyze", "plan"]);
    expect(report.others.map((s) => s.name)).toEqual(["analyze", "billing"]);
    const billing = report.others[1];
    expect(billing?.instance).toBe(billing?.id);
  });

  it("answers at once when no service is registered at all", async () => {
    await using server = await NatsServer.start();
    await using nc = await testConnection(server.url);
    const started = Date.now();

    const report = await collectStatus(nc, { bucket: "patinox", timeoutMs: 5_000 });

    expect(report.missing).toHaveLength(4);
    // No responders comes back immediately: status must not sit out the whole timeout.
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it("reports the bucket's statistics, or that it is missing and how it is created", async () => {
    await using server = await NatsServer.start();
    await using nc = await testConnection(server.url);

    const before = await collectStatus(nc, { bucket: "patinox", timeoutMs: 100 });
    expect(before.knowledge).toEqual({
      found: false,
      bucket: "patinox",
      reason: expect.stringContaining("any Patinox service creates it when it starts"),
    });

    const kv = await new Kvm(nc).create("patinox", { history: 10 });
    await kv.put("a", JSON.stringify({ n: 1 }));
    await kv.put("b", JSON.stringify({ n: 2 }));
    const after = await collectStatus(nc, { bucket: "patinox", timeoutMs: 100 });
    expect(after.knowledge).toMatchObject({
      found: true,
      bucket: "patinox",
      values: 2,
      history: 10,
      replicas: 1,
      storage: "file",
    });
    expect(after.knowledge.found && after.knowledge.bytes).toBeGreaterThan(0);
  });

  it("reports a server without JetStream instead of failing", async () => {
    await using server = await NatsServer.start({ jetstream: false });
    await using nc = await testConnection(server.url);

    const report = await collectStatus(nc, { bucket: "patinox", timeoutMs: 100 });

    expect(report.knowledge).toMatchObject({
      found: false,
      reason: expect.stringContaining("JetStream is not enabled"),
    });
  });
});

describe("patinox status", () => {
  it("prints the documented JSON shape with --json", async () => {
    await using server = await NatsServer.start();
    await using nc = await testConnection(server.url);
    await new Kvm(nc).create("patinox", { history: 10 });
    await using _execute = await registerService(nc, {
      name: "execute",
      metadata: patinox("exec-1"),
      endpoints: ["run"],
    });
    const io = new CapturedIo({ NATS_URL: server.url });

    const exitCode = await runCli(["status", "--json", "--timeout", "500"], io);

    expect(exitCode).toBe(ExitCode.Ok);
    expect(io.stderrText).toBe("");
    const report = JSON.parse(io.stdoutText) as StatusReport;
    expect(Object.keys(report).sort()).toEqual([
      "knowledge",
      "missing",
      "others",
      "prefix",
      "server",
      "services",
    ]);
    expect(report.server).toBe(`127.0.0.1:${server.port}`);
    expect(report.missing).toEqual(["monitor", "analyze", "plan"]);
    expect(Object.keys(report.services[0] ?? {}).sort()).toEqual([
      "endpoints",
      "id",
      "instance",
      "metadata",
      "name",
      "startedAt",
      "uptimeMs",
      "version",
    ]);
    expect(Object.keys(report.knowledge).sort()).toEqual([
      "bucket",
      "bytes",
      "found",
      "history",
      "replicas",
      "storage",
      "values",
    ]);
  });

  it("prints a table and the missing services without --json, reading --bucket", async () => {
    await using server = await NatsServer.start();
    await using nc = await testConnection(server.url);
    await new Kvm(nc).create("other", { history: 12 });
    await using _execute = await registerService(nc, {
      name: "execute",
      metadata: patinox("exec-1"),
      endpoints: ["run"],
    });
    const io = new CapturedIo({ NATS_URL: "nats://127.0.0.1:1" });

    const exitCode = await runCli(
      ["--server", server.url, "--bucket", "other", "status", "--timeout", "500"],
      io,
    );

    expect(exitCode).toBe(ExitCode.Ok);
    expect(io.stdoutText).toMatch(
      /^execute +exec-1 +0\.1\.0 +\d+s +run +patinox\.svc\.execute\.run$/m,
    );
    expect(io.stdoutText).toContain(
      "Missing: monitor, analyze, plan (no answer to $SRV discovery within 500 ms).",
    );
    expect(io.stdoutText).toMatch(/^other +0 +0 B +12 +1 +file$/m);
  });
});
