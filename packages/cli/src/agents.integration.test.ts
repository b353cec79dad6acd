import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Kvm } from "@nats-io/kv";
import { freePort, NatsServer } from "@patinox/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AgentsReport, ApplyReport, HistoryReport } from "./agents.ts";
import { runCli } from "./cli.ts";
import { ExitCode } from "./exit-code.ts";
import { CapturedIo } from "./test-support/captured-io.ts";
import { testConnection } from "./test-support/connection.ts";

const EXAMPLES = fileURLToPath(new URL("../../../examples/agents", import.meta.url));

let server: NatsServer;
let nc: Awaited<ReturnType<typeof testConnection>>;
let dir: string;
let buckets = 0;

beforeAll(async () => {
  server = await NatsServer.start();
  nc = await testConnection(server.url);
  dir = await mkdtemp(join(tmpdir(), "patinox-cli-agents-"));
});

afterAll(async () => {
  await nc?.[Symbol.asyncDispose]();
  await server?.[Symbol.asyncDispose]();
  await rm(dir, { recursive: true, force: true });
});

/** A fresh bucket, created the way the services create it; its name. */
async function freshBucket(): Promise<string> {
  const bucket = `agents-${++buckets}`;
  await new Kvm(nc).create(bucket, { history: 10, storage: "file" });
  return bucket;
}

/** Runs `patinox …args` in-process against the test server and `bucket`. */
async function patinox(bucket: string, ...args: string[]) {
  const io = new CapturedIo({ NATS_URL: server.url, PATINOX_BUCKET: bucket, USER: "tester" });
  const exitCode = await runCli(args, io);
  return { exitCode, stdout: io.stdoutText, stderr: io.stderrText };
}

/** A copy of the examples in a directory of its own, to edit. */
async function examplesCopy(): Promise<string> {
  const copy = await mkdtemp(join(dir, "examples-"));
  await cp(EXAMPLES, copy, { recursive: true });
  return copy;
}

async function keys(bucket: string): Promise<string[]> {
  const kv = await new Kvm(nc).open(bucket);
  const found: string[] = [];
  for await (const key of await kv.keys()) found.push(key);
  return found.sort();
}

describe("patinox agents apply", () => {
  it("--dry-run shows what would be created and writes nothing", async () => {
    const bucket = await freshBucket();

    const run = await patinox(bucket, "agents", "apply", EXAMPLES, "--dry-run");

    expect(run.exitCode).toBe(ExitCode.Ok);
    expect(run.stdout).toBe(
      [
        `summarizer (${EXAMPLES}/summarizer.yaml): would be created, version 1`,
        `support (${EXAMPLES}/support.yaml): would be created, version 1`,
        `triage (${EXAMPLES}/triage.yaml): would be created, version 1`,
        "",
        `Dry run, nothing written: 3 agents (3 created, 0 updated, 0 unchanged) against bucket ${bucket}.`,
        "",
      ].join("\n"),
    );
    expect(await keys(bucket)).toEqual([]);
  });

  it("creates, then leaves unchanged, then updates with the diff, recording who and why", async () => {
    const bucket = await freshBucket();
    const copy = await examplesCopy();

    const first = await patinox(bucket, "agents", "apply", copy, "--json");
    expect(first.exitCode).toBe(ExitCode.Ok);
    const created = JSON.parse(first.stdout) as ApplyReport;
    expect(created).toMatchObject({
      bucket,
      dryRun: false,
      reason: "applied with patinox agents apply",
    });
    expect(created.appliedBy).toMatch(/^cli:.+@.+$/);
    expect(created.agents.map((a) => [a.agent, a.outcome, a.version, a.previousVersion])).toEqual([
      ["summarizer", "created", 1, null],
      ["support", "created", 1, null],
      ["triage", "created", 1, null],
    ]);

    const again = await patinox(bucket, "agents", "apply", copy, "--json");
    expect((JSON.parse(again.stdout) as ApplyReport).agents.map((a) => a.outcome)).toEqual([
      "unchanged",
      "unchanged",
      "unchanged",
    ]);

    const file = join(copy, "support.yaml");
    const text = await readFile(file, "utf8");
    await writeFile(file, text.replace("timeoutMs: 5000", "timeoutMs: 7000"));
    const update = await patinox(
      bucket,
      "agents",
      "apply",
      file,
      "--reason",
      "the order service got slower",
      "--by",
      "alice",
    );
    expect(update.exitCode).toBe(ExitCode.Ok);
    expect(update.stdout).toBe(
      [
        `support (${file}): updated, version 1 → 2`,
        "  tools.lookup_order.timeoutMs: 5000 → 7000",
        "",
        `1 agent: 0 created, 1 updated, 0 unchanged in bucket ${bucket}, applied by alice.`,
        "",
      ].join("\n"),
    );

    const history = await patinox(bucket, "agents", "history", "support", "--json");
    const report = JSON.parse(history.stdout) as HistoryReport;
    expect(
      report.revisions.map((r) =>
        r.kind === "applied" ? [r.version, r.appliedBy, r.reason] : r.kind,
      ),
    ).toEqual([
      [1, created.appliedBy, "applied with patinox agents apply"],
      [2, "alice", "the order service got slower"],
    ]);

    const table = await patinox(bucket, "agents", "history", "support");
    const lines = table.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^REVISION\s+VERSION\s+APPLIED AT\s+APPLIED BY\s+REASON$/);
    expect(lines[2]).toMatch(/^\d+\s+2\s+\S+Z\s+alice\s+the order service got slower$/);

    const ls = await patinox(bucket, "agents", "ls", "--json");
    expect(
      (JSON.parse(ls.stdout) as AgentsReport).agents.map((a) => [a.agent, a.valid && a.version]),
    ).toEqual([
      ["summarizer", 1],
      ["support", 2],
      ["triage", 1],
    ]);
  });

  it("prints every problem of every file, exits 65 and writes nothing, before connecting", async () => {
    const bucket = await freshBucket();
    const copy = await examplesCopy();
    const support = join(copy, "support.yaml");
    const text = await readFile(support, "utf8");
    await writeFile(support, text.replace("timeoutMs: 5000", "timeoutMs: 1.5"));
    const line = text.split("\n").findIndex((l) => l.includes("timeoutMs: 5000")) + 1;
    await writeFile(join(copy, "broken.yaml"), "v: 1\nname: [\n");

    const run = await patinox(bucket, "agents", "apply", copy, "--json");

    expect(run.exitCode).toBe(ExitCode.DataError);
    expect(run.stderr.split("\n")).toEqual([
      "patinox: invalid agent definition (2 problems in 2 files); nothing was applied:",
      `${copy}/broken.yaml:3:1 invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]`,
      `${copy}/support.yaml:${line}:16 tools[0].timeoutMs: expected a whole number, got 1.5`,
      "",
    ]);
    const { error } = JSON.parse(run.stdout) as {
      error: {
        code: string;
        exitCode: number;
        problems: { file: string; line: number; path: string }[];
      };
    };
    expect(error.code).toBe("definition_invalid");
    expect(error.exitCode).toBe(65);
    expect(error.problems.map((p) => [p.line, p.path])).toEqual([
      [3, ""],
      [line, "tools[0].timeoutMs"],
    ]);
    expect(await keys(bucket)).toEqual([]);

    // Files are checked before any connection: with no NATS at all, still 65.
    const io = new CapturedIo({ NATS_URL: `nats://127.0.0.1:${await freePort()}` });
    expect(await runCli(["agents", "apply", copy], io)).toBe(ExitCode.DataError);
  });

  it("exits 66 for a path that does not exist, 1 when the bucket does not", async () => {
    const missing = await patinox("patinox", "agents", "apply", join(dir, "nope"));
    expect(missing.exitCode).toBe(ExitCode.NoInput);
    expect(missing.stderr).toBe(
      `patinox: cannot read agent definitions from ${join(dir, "nope")}: no such file or directory\n`,
    );

    const noBucket = await patinox("no-such-bucket", "agents", "apply", EXAMPLES);
    expect(noBucket.exitCode).toBe(ExitCode.NotFound);
    expect(noBucket.stderr).toMatch(/^patinox: knowledge bucket "no-such-bucket" does not exist/);
  });

  it("refuses an empty --reason with a usage error", async () => {
    const run = await patinox("patinox", "agents", "apply", EXAMPLES, "--reason", " ");
    expect(run.exitCode).toBe(ExitCode.Usage);
    expect(run.stderr).toBe("patinox: --reason: expected 1 to 1000 characters\n");
  });
});

describe("patinox agents history and ls", () => {
  it("history of an agent never applied exits 1; an invalid name exits 64", async () => {
    const bucket = await freshBucket();

    const none = await patinox(bucket, "agents", "history", "nobody");
    expect(none.exitCode).toBe(ExitCode.NotFound);
    expect(none.stderr).toBe(
      `patinox: no definition of agent nobody in bucket ${bucket}: apply one with \`patinox agents apply\`\n`,
    );

    const bad = await patinox(bucket, "agents", "history", "bad.name", "--json");
    expect(bad.exitCode).toBe(ExitCode.Usage);
    expect(JSON.parse(bad.stdout)).toMatchObject({ error: { code: "usage", exitCode: 64 } });
  });

  it("ls says on stderr when no agent is defined, and lists an unreadable record", async () => {
    const bucket = await freshBucket();

    const empty = await patinox(bucket, "agents", "ls");
    expect(empty).toMatchObject({
      exitCode: 0,
      stdout: "",
      stderr: `no agents defined in bucket ${bucket}\n`,
    });

    await (await new Kvm(nc).open(bucket)).put("agents.broken.config", "{}");
    const listed = await patinox(bucket, "agents", "ls");
    expect(listed.stdout.split("\n")[0]).toMatch(/^AGENT\s+VERSION\s+APPLIED AT\s+APPLIED BY$/);
    expect(listed.stdout.split("\n")[1]).toMatch(
      /^broken\s+\?\s+\(unreadable: .*\/v Invalid input: expected 1\)$/,
    );
  });
});
