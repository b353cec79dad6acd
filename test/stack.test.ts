import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Svcm } from "@nats-io/services";
import { connect } from "@nats-io/transport-node";
import { runCli } from "@patinox/cli";
import { RunReply } from "@patinox/contracts";
import { freePort, NatsServer } from "@patinox/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, healthStatus, NodeProcess, ROOT } from "./support/spawn-node.ts";

const execFileAsync = promisify(execFile);

/** A request from Python's standard library speaking the NATS protocol (no NATS library). */
async function plainRequest(address: string, subject: string, body: unknown): Promise<string> {
  const payload = typeof body === "string" ? body : JSON.stringify(body);
  const { stdout } = await execFileAsync(
    "python3",
    [join(ROOT, "test", "fixtures", "plain_nats_request.py"), address, subject, payload],
    { timeout: 60_000 },
  );
  return stdout;
}

const STACK = join(ROOT, "packages", "stack", "src", "main.ts");
const SERVICES = ["execute", "monitor", "analyze", "plan"];

let nats: NatsServer;
beforeAll(async () => {
  nats = await NatsServer.start();
});
afterAll(async () => {
  await nats?.[Symbol.asyncDispose]();
});

/** Names of the services answering `$SRV.PING`; none answering is an empty list. */
async function pingAll(url: string): Promise<string[]> {
  const nc = await connect({ servers: url });
  try {
    const names: string[] = [];
    const client = new Svcm(nc).client({ strategy: "timer", maxWait: 1_000 });
    for await (const ping of await client.ping()) names.push(ping.name);
    return names.sort();
  } catch {
    return []; // no responders yet
  } finally {
    await nc.close();
  }
}

function startedPids(stack: NodeProcess, service: string): number[] {
  return stack.lines.flatMap((line) => {
    const match = line.match(new RegExp(`stack   \\| ${service} started \\(pid (\\d+)\\)`));
    return match ? [Number(match[1])] : [];
  });
}

/** The pid the stack printed for a service's first start; fails the test when there is none. */
function firstPid(stack: NodeProcess, service: string): number {
  const pid = startedPids(stack, service)[0];
  if (pid === undefined || pid <= 0) throw new Error(`the stack printed no pid for ${service}`);
  return pid;
}

function alive(pid: number): boolean {
  // 0 and negative pids address process groups (-1: every process): never probe those.
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`not a process id: ${pid}`);
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("pnpm start (the local stack)", () => {
  it("runs the four services, restarts one killed with -9, and stops all on Ctrl-C", async () => {
    const firstPort = await freePort();
    await using stack = new NodeProcess(
      STACK,
      { NATS_URL: nats.url, PATINOX_STACK_FIRST_PORT: String(firstPort) },
      { detached: true },
    );
    await stack.waitForLine((line) => line.includes("Ctrl-C stops everything"));
    const ports = SERVICES.map((service) => {
      const line = stack.lines.find(
        (l) => l.trimStart().startsWith(service) && l.includes("/readyz"),
      );
      return Number(line?.match(/:(\d+)\/readyz/)?.[1]);
    });
    expect(ports.every((p) => p >= firstPort)).toBe(true);

    // $SRV.PING finds all four, and each is ready.
    await eventually(
      async () => (await pingAll(nats.url)).join() === "analyze,execute,monitor,plan",
      60_000,
      500,
    );
    for (const port of ports)
      await eventually(async () => (await healthStatus(port, "/readyz")) === 200);

    // With no provider configured the stack serves the simulated model: a request from a
    // plain NATS client to an example agent gets an answer.
    expect(stack.lines.join("\n")).toMatch(/Model simulated: simulated-small/);
    // As a new user would: `patinox agents apply examples/agents`, then a request from a
    // client that is not the project's code (Python's standard library on a socket).
    {
      const out: string[] = [];
      const io = {
        stdout: { write: (text: string) => out.push(text) },
        stderr: { write: (text: string) => out.push(text) },
        env: { NATS_URL: nats.url },
      };
      const applied = await runCli(["agents", "apply", join(ROOT, "examples", "agents")], io);
      expect(applied, out.join("")).toBe(0);
      const address = new URL(nats.url.replace(/^nats:/, "http:")).host;
      const run = RunReply.parse(
        JSON.parse(
          await plainRequest(address, "patinox.agents.support.run", {
            v: 1,
            input: "Where is my order 1001?",
          }),
        ),
      );
      expect(run).toMatchObject({ status: "completed", agentVersion: 1 });
      expect(run.output?.length).toBeGreaterThan(0);
      const refused = JSON.parse(
        await plainRequest(address, "patinox.agents.support.run", "{oops"),
      );
      expect(refused).toMatchObject({
        v: 1,
        error: { code: "malformed_message", retryable: false },
      });
    }

    // kill -9 one service: it is restarted with a new process; the others keep theirs.
    const before: Record<string, number> = {};
    for (const service of SERVICES) before[service] = firstPid(stack, service);
    const killed = firstPid(stack, "execute");
    process.kill(killed, "SIGKILL");
    await stack.waitForLine((line) => line.includes("restarting execute"));
    await eventually(() => startedPids(stack, "execute").length === 2, 30_000);
    const restarted = startedPids(stack, "execute")[1] ?? Number.NaN;
    expect(restarted).toBeGreaterThan(0);
    expect(restarted).not.toBe(killed);
    await eventually(async () => (await healthStatus(ports[0] ?? 0, "/readyz")) === 200, 30_000);
    for (const service of ["monitor", "analyze", "plan"]) {
      expect(startedPids(stack, service)).toEqual([before[service]]);
      expect(alive(before[service] ?? Number.NaN)).toBe(true);
    }
    await eventually(async () => (await pingAll(nats.url)).length === 4, 30_000, 500);

    // Ctrl-C in a terminal signals the whole process group: still one graceful stop each.
    stack.interruptGroup();
    expect((await stack.exited).code).toBe(0);
    for (const pid of [restarted, before.monitor, before.analyze, before.plan])
      expect(alive(pid ?? Number.NaN)).toBe(false);
    const output = stack.lines.join("\n");
    for (const service of SERVICES)
      expect(output).toMatch(new RegExp(`${service}\\s*\\|.* stopped`));
    expect(output).not.toMatch(/second signal/);
  }, 120_000);

  it("starts an embedded nats-server when none answers, storing under the state dir", async () => {
    const stateDir = await mkdtemp(join(tmpdir(), "patinox-stack-"));
    const port = await freePort();
    try {
      await using stack = new NodeProcess(STACK, {
        NATS_URL: "",
        PATINOX_LOCAL_NATS_URL: `nats://127.0.0.1:${port}`,
        PATINOX_STATE_DIR: stateDir,
        PATINOX_STACK_FIRST_PORT: String(await freePort()),
      });
      await stack.waitForLine((line) => line.includes("Ctrl-C stops everything"));
      expect(stack.lines.join("\n")).toContain(
        `NATS nats://127.0.0.1:${port} (embedded nats-server, data in ${stateDir}/nats)`,
      );
      await eventually(
        async () => (await pingAll(`nats://127.0.0.1:${port}`)).length === 4,
        60_000,
        500,
      );
      stack.child.kill("SIGINT");
      expect((await stack.exited).code).toBe(0);
    } finally {
      await rm(stateDir, { recursive: true, force: true });
    }
  }, 120_000);

  it("explains how to get NATS when there is none and no nats-server", async () => {
    await using stack = new NodeProcess(STACK, {
      NATS_URL: "",
      PATINOX_LOCAL_NATS_URL: `nats://127.0.0.1:${await freePort()}`,
      NATS_SERVER_BIN: "",
      PATH: "/nonexistent",
    });
    expect((await stack.exited).code).toBe(1);
    const output = stack.lines.join("\n");
    expect(output).toContain("apt-get install nats-server");
    expect(output).toContain("brew install nats-server");
  });
});
