import { type KV, Kvm } from "@nats-io/kv";
import { NatsServer } from "@patinox/testkit";
import { describe, expect, it } from "vitest";
import { runCli } from "./cli.ts";
import { BucketNotFound, KeyNotFound } from "./errors.ts";
import { ExitCode } from "./exit-code.ts";
import { getRecord, type KvChange, listKeys, watchRecords } from "./knowledge-bucket.ts";
import { CapturedIo } from "./test-support/captured-io.ts";
import { testConnection } from "./test-support/connection.ts";

/** A server with a `patinox` bucket created the way the services create it. */
async function knowledgeServer() {
  const server = await NatsServer.start();
  const nc = await testConnection(server.url);
  const kv = await new Kvm(nc).create("patinox", { history: 10, storage: "file" });
  return {
    server,
    nc,
    kv,
    async [Symbol.asyncDispose]() {
      await nc[Symbol.asyncDispose]();
      await server[Symbol.asyncDispose]();
    },
  };
}

const put = (kv: KV, key: string, value: unknown) => kv.put(key, JSON.stringify(value));

describe("knowledge reads", () => {
  it("gets the current value with its revision and creation time", async () => {
    await using k = await knowledgeServer();
    await put(k.kv, "agents.support.config", { model: "a" });
    const revision = await put(k.kv, "agents.support.config", { model: "b" });

    const record = await getRecord(k.nc, "patinox", "agents.support.config");

    expect(record).toEqual({
      key: "agents.support.config",
      revision,
      created: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
      format: "json",
      value: { model: "b" },
    });
    expect(Math.abs(Date.parse(record.created) - Date.now())).toBeLessThan(60_000);
  });

  it("treats a deleted key like one never written", async () => {
    await using k = await knowledgeServer();
    await put(k.kv, "gone", 1);
    await k.kv.delete("gone");

    await expect(getRecord(k.nc, "patinox", "gone")).rejects.toThrow(KeyNotFound);
    await expect(getRecord(k.nc, "patinox", "never")).rejects.toThrow(
      "not found: never (bucket patinox)",
    );
  });

  it("says the bucket is missing rather than creating it", async () => {
    await using k = await knowledgeServer();

    await expect(listKeys(k.nc, "elsewhere")).rejects.toThrow(BucketNotFound);
    expect(await new Kvm(k.nc).list().next()).toHaveLength(1);
  });

  it("lists keys matching a filter, sorted", async () => {
    await using k = await knowledgeServer();
    for (const key of ["metrics.b.w1", "agents.x.config", "metrics.a.w1", "metrics.a.w2"])
      await put(k.kv, key, {});

    expect(await listKeys(k.nc, "patinox")).toEqual([
      "agents.x.config",
      "metrics.a.w1",
      "metrics.a.w2",
      "metrics.b.w1",
    ]);
    expect(await listKeys(k.nc, "patinox", "metrics.*.w1")).toEqual([
      "metrics.a.w1",
      "metrics.b.w1",
    ]);
    expect(await listKeys(k.nc, "patinox", "nothing.>")).toEqual([]);
  });

  it("watches current values first, then puts and deletes, until aborted", async () => {
    await using k = await knowledgeServer();
    await put(k.kv, "agents.a.config", { v: 1 });
    await put(k.kv, "other", { v: 0 });
    const interrupt = new AbortController();
    const seen: KvChange[] = [];

    const watching = (async () => {
      for await (const change of watchRecords(k.nc, "patinox", "agents.>", {
        signal: interrupt.signal,
      })) {
        seen.push(change);
        if (seen.length === 1) {
          await put(k.kv, "agents.b.config", { v: 2 });
          await k.kv.delete("agents.a.config");
        }
        if (seen.length === 3) interrupt.abort();
      }
    })();
    await watching;

    expect(seen.map((c) => [c.kind, c.key])).toEqual([
      ["put", "agents.a.config"],
      ["put", "agents.b.config"],
      ["delete", "agents.a.config"],
    ]);
    expect(seen[1]).toMatchObject({ format: "json", value: { v: 2 } });
  });
});

describe("patinox kv", () => {
  it("get prints the value with revision and created, and --json the documented shape", async () => {
    await using k = await knowledgeServer();
    await put(k.kv, "agents.support.config", { model: "m", tools: ["t"] });
    const env = { NATS_URL: k.server.url };

    const text = new CapturedIo(env);
    expect(await runCli(["kv", "get", "agents.support.config"], text)).toBe(ExitCode.Ok);
    expect(text.stdoutText).toMatch(/^agents\.support\.config +1 +\d{4}-.*Z +json$/m);
    expect(text.stdoutText).toContain('{\n  "model": "m",\n  "tools": [\n    "t"\n  ]\n}\n');

    const json = new CapturedIo(env);
    expect(await runCli(["kv", "get", "agents.support.config", "--json"], json)).toBe(ExitCode.Ok);
    expect(JSON.parse(json.stdoutText)).toEqual({
      bucket: "patinox",
      key: "agents.support.config",
      revision: 1,
      created: expect.any(String),
      format: "json",
      value: { model: "m", tools: ["t"] },
    });
  });

  it("get exits 1 with `not found` for a missing key, and explains a missing bucket", async () => {
    await using k = await knowledgeServer();
    const env = { NATS_URL: k.server.url };

    const missingKey = new CapturedIo(env);
    expect(await runCli(["kv", "get", "nope"], missingKey)).toBe(ExitCode.NotFound);
    expect(missingKey.stderrText).toBe("patinox: not found: nope (bucket patinox)\n");
    expect(missingKey.stdoutText).toBe("");

    const missingBucket = new CapturedIo({ ...env, PATINOX_BUCKET: "absent" });
    expect(await runCli(["kv", "get", "nope"], missingBucket)).toBe(ExitCode.NotFound);
    expect(missingBucket.stderrText).toMatch(
      /knowledge bucket "absent" does not exist: any Patinox service creates it when it starts/,
    );
  });

  it("ls prints one key per line, and --json the keys with bucket and filter", async () => {
    await using k = await knowledgeServer();
    for (const key of ["b.x", "a.x", "a.y"]) await put(k.kv, key, 1);
    const env = { NATS_URL: k.server.url };

    const text = new CapturedIo(env);
    expect(await runCli(["kv", "ls"], text)).toBe(ExitCode.Ok);
    expect(text.stdoutText).toBe("a.x\na.y\nb.x\n");

    const json = new CapturedIo(env);
    expect(await runCli(["kv", "ls", "a.*", "--json"], json)).toBe(ExitCode.Ok);
    expect(JSON.parse(json.stdoutText)).toEqual({
      bucket: "patinox",
      filter: "a.*",
      keys: ["a.x", "a.y"],
    });

    const bad = new CapturedIo(env);
    expect(await runCli(["kv", "ls", "a.>.b"], bad)).toBe(ExitCode.Usage);
    expect(bad.stderrText).toMatch(/invalid filter "a\.>\.b"/);
  });

  it("watch --json streams one object per line and exits 0 on Ctrl-C", async () => {
    await using k = await knowledgeServer();
    await put(k.kv, "agents.a.config", { v: 1 });
    const io = new CapturedIo({ NATS_URL: k.server.url });

    const exit = runCli(["kv", "watch", "agents.>", "--json"], io);
    await io.lines(1);
    await k.kv.put("agents.a.config", "plain text");
    await k.kv.delete("agents.a.config");
    const lines = await io.lines(3);
    io.interrupt();

    expect(await exit).toBe(ExitCode.Ok);
    expect(lines.map((line) => JSON.parse(line))).toEqual([
      {
        kind: "put",
        key: "agents.a.config",
        revision: 1,
        created: expect.any(String),
        format: "json",
        value: { v: 1 },
      },
      {
        kind: "put",
        key: "agents.a.config",
        revision: 2,
        created: expect.any(String),
        format: "text",
        value: "plain text",
      },
      { kind: "delete", key: "agents.a.config", revision: 3, created: expect.any(String) },
    ]);
    expect(io.stderrText).toBe("");
  });

  it("watch --updates-only skips the current values", async () => {
    await using k = await knowledgeServer();
    await put(k.kv, "old", 1);
    const io = new CapturedIo({ NATS_URL: k.server.url });

    const exit = runCli(["kv", "watch", "--updates-only", "--json"], io);
    // The watch subscribes some time after the call; write until it has seen a change.
    for (let n = 0; io.stdoutText === ""; n++) {
      await put(k.kv, "new", n);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    io.interrupt();

    expect(await exit).toBe(ExitCode.Ok);
    const keys = (await io.lines(1)).map((line) => (JSON.parse(line) as { key: string }).key);
    expect(new Set(keys)).toEqual(new Set(["new"]));
  });

  it("watch exits 69 when NATS goes away under it", async () => {
    await using k = await knowledgeServer();
    const io = new CapturedIo({ NATS_URL: k.server.url });

    await put(k.kv, "before", 1);
    const exit = runCli(["kv", "watch"], io);
    await io.lines(1);
    await k.server.kill();

    expect(await exit).toBe(ExitCode.Unavailable);
    expect(io.stderrText).toMatch(/^patinox: lost the connection to NATS at 127\.0\.0\.1:\d+\n$/);
  });
});
