import { jetstream } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import {
  type NatsConnection,
  nkeyAuthenticator,
  PermissionViolationError,
} from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import { applyDefinition } from "@patinox/agents";
import { AgentDefinition, RunReply, StatusReply } from "@patinox/contracts";
import { openKnowledge } from "@patinox/knowledge";
import { ModelServer, ModelStep, type NatsServer } from "@patinox/testkit";
import { serveTool } from "@patinox/tools";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  NATS_ROLES,
  type NatsRole,
  PUBLISHER_INBOX_PREFIX,
  SUBMITTER_INBOX_PREFIX,
} from "./nats-permissions.ts";
import { startSecuredNats, type TestUser } from "./test-support/secured-nats.ts";
import { type ServiceProcess, startServiceProcess } from "./test-support/service-process.ts";

/**
 * deploy/nats/authorization.conf, verbatim, on a real nats-server 2.9: each service runs as a
 * process with only its own nkey, a publisher runs an agent, and every step outside a
 * user's permissions is refused while the services keep working.
 */
const SERVICES = ["monitor", "analyze", "plan", "execute"] as const;
const encoder = new TextEncoder();

let users: Record<NatsRole, TestUser>;
let roleOfKey: Map<string, NatsRole>;

let nats: NatsServer;
let model: ModelServer;
const services = new Map<string, ServiceProcess>();
const connections: NatsConnection[] = [];

/** Connects as a role, and records every permission error the server reports to it. */
async function connectAs(
  role: NatsRole,
  options: { inboxPrefix?: string } = {},
): Promise<{ nc: NatsConnection; refused: PermissionViolationError[] }> {
  const nc = await connect({
    servers: nats.url,
    authenticator: nkeyAuthenticator(encoder.encode(users[role].seed)),
    name: `deploy-test-${role}`,
    ...options,
  });
  connections.push(nc);
  const refused: PermissionViolationError[] = [];
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === "error" && status.error instanceof PermissionViolationError) {
        refused.push(status.error);
      }
    }
  })();
  return { nc, refused };
}

/** Polls until `check` holds (no fixed sleeps). */
async function eventually(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}

/** The server's permission violations: which client (by connection name) and which role. */
function violations(): Array<{ client: string; role: NatsRole | undefined; line: string }> {
  return nats.log
    .split("\n")
    .filter((line) => /Violation/i.test(line))
    .map((line) => {
      const key = /(?:User|Nkey) "([A-Z0-9]+)"/.exec(line)?.[1] ?? "";
      const client = /"v[^"]*:([^":]+)" - /.exec(line)?.[1] ?? "";
      return { client, role: roleOfKey.get(key), line };
    });
}

async function runAgent(nc: NatsConnection, input: string): Promise<RunReply> {
  const reply = await nc.request("patinox.agents.support.run", JSON.stringify({ v: 1, input }), {
    timeout: 20_000,
  });
  return RunReply.parse(reply.json());
}

beforeAll(async () => {
  const secured = await startSecuredNats();
  nats = secured.server;
  users = secured.users;
  roleOfKey = new Map(NATS_ROLES.map((role) => [users[role].publicKey, role]));
  model = await ModelServer.start({
    handler: (request) => {
      const last = request.messages.at(-1);
      // The tool agent asks for the tool once, then answers with its result.
      if (request.tools?.some((t) => t.function.name === "lookup_order")) {
        return last?.role === "tool"
          ? ModelStep.text(`tool said: ${String(last.content)}`)
          : ModelStep.toolCalls({ name: "lookup_order", arguments: { orderId: "123456" } });
      }
      return ModelStep.text(`echo: ${String(last?.content ?? "")}`);
    },
  });
  // The setup user creates the bucket first, as the prod Job does; the operator applies.
  const setup = await connectAs("setup");
  await openKnowledge(setup.nc, { bucket: "patinox" });
  const operator = await connectAs("operator");
  const asOperator = await openKnowledge(operator.nc, { bucket: "patinox", create: false });
  await applyDefinition(
    asOperator,
    AgentDefinition.parse({
      v: 1,
      name: "support",
      model: { name: "test-model" },
      instructions: "Echo.",
    }),
    { appliedBy: "deploy-test", reason: "permissions test" },
  );
  const extra: Record<string, NodeJS.ProcessEnv> = {
    execute: { OPENAI_BASE_URL: model.baseURL, OPENAI_API_KEY: "sk-deploy-test" },
    monitor: { PATINOX_MONITOR_WINDOW_MS: "1000" },
    analyze: { PATINOX_ANALYZE_INTERVAL_MS: "200", PATINOX_ANALYZE_DEBOUNCE_MS: "20" },
    // A model Plan may add as a fallback, so an error-rate finding has a change to propose.
    plan: { PATINOX_PLAN_MODELS: '[{"name":"backup-model"}]' },
  };
  for (const name of SERVICES) {
    services.set(
      name,
      await startServiceProcess(name, {
        NATS_URL: nats.url,
        NATS_NKEY_SEED: users[name].seed,
        ...extra[name],
      }),
    );
  }
}, 240_000);

afterAll(async () => {
  for (const service of services.values()) await service[Symbol.asyncDispose]();
  for (const nc of connections) await nc.close().catch(() => undefined);
  await model?.close();
  await nats?.[Symbol.asyncDispose]();
});

describe("deploy/nats/authorization.conf", () => {
  it("lets every service start and become ready with only its own credentials", async () => {
    const operator = await connectAs("operator");
    for (const name of SERVICES) {
      const reply = await operator.nc.request(`patinox.svc.${name}.status`, '{"v":1}', {
        timeout: 5_000,
      });
      expect(StatusReply.parse(reply.json())).toMatchObject({ service: name, ready: true });
    }
    expect(violations()).toEqual([]);
  });

  it("lets a publisher run an agent through Execute and read the reply", async () => {
    const publisher = await connectAs("publisher", { inboxPrefix: PUBLISHER_INBOX_PREFIX });
    const reply = await runAgent(publisher.nc, "hello through least privilege");
    expect(reply).toMatchObject({
      status: "completed",
      output: "echo: hello through least privilege",
    });
    expect(publisher.refused).toEqual([]);
  });

  it("lets a tool service answer Execute's tool call with only the tool user's permissions", async () => {
    const tool = await connectAs("tool");
    await using _served = await serveTool(tool.nc, {
      name: "lookup_order",
      description: "Look up an order.",
      parameters: {
        type: "object",
        properties: { orderId: { type: "string" } },
        required: ["orderId"],
      },
      handler: (args: { orderId: string }) => ({ orderId: args.orderId, status: "shipped" }),
    });
    const operator = await connectAs("operator");
    await applyDefinition(
      await openKnowledge(operator.nc, { bucket: "patinox", create: false }),
      AgentDefinition.parse({
        v: 1,
        name: "orders",
        model: { name: "test-model" },
        instructions: "Use the tool.",
        tools: [{ name: "lookup_order", description: "Look up an order." }],
      }),
      { appliedBy: "deploy-test", reason: "tool test" },
    );
    const publisher = await connectAs("publisher", { inboxPrefix: PUBLISHER_INBOX_PREFIX });
    const reply = await publisher.nc.request(
      "patinox.agents.orders.run",
      JSON.stringify({ v: 1, input: "where?" }),
      {
        timeout: 20_000,
      },
    );
    expect(RunReply.parse(reply.json())).toMatchObject({
      status: "completed",
      output: 'tool said: {"orderId":"123456","status":"shipped"}',
    });
    // A tool may answer, and nothing else: not even run an agent.
    tool.nc.publish("patinox.agents.orders.run", "{}");
    await eventually(() => tool.refused.length >= 1);
    expect(tool.refused.map((e) => e.subject)).toEqual(["patinox.agents.orders.run"]);
  });

  it("lets a submitter queue a durable job and read its result", async () => {
    const submitter = await connectAs("submitter", { inboxPrefix: SUBMITTER_INBOX_PREFIX });
    const result = new Promise<string>((resolve) => {
      const sub = submitter.nc.subscribe("patinox.results.deploy-job-1", {
        callback: (_error, msg) => {
          resolve(msg.string());
          sub.unsubscribe();
        },
      });
    });
    await submitter.nc.flush();
    const ack = await jetstream(submitter.nc).publish(
      "patinox.jobs.support",
      JSON.stringify({ v: 1, runId: "deploy-job-1", input: "queued" }),
      { msgID: "deploy-job-1" },
    );
    expect(ack.stream).toBe("patinox_jobs");
    expect(JSON.parse(await result)).toMatchObject({ runId: "deploy-job-1" });
    expect(JSON.stringify(JSON.parse(await result))).toContain("echo: queued");
    expect(submitter.refused).toEqual([]);
  });

  it("lets Monitor fold Execute's telemetry into the knowledge bucket", async () => {
    const operator = await connectAs("operator");
    const kv = await new Kvm(operator.nc).open("patinox");
    await eventually(async () => {
      const keys = await kv.keys("metrics.support.>");
      for await (const _key of keys) return true;
      return false;
    });
    expect(violations().filter((v) => !v.client.startsWith("deploy-test-"))).toEqual([]);
  });
  it("lets Analyze turn windows into a finding and Plan turn the finding into a plan", async () => {
    // Monitor's own credentials write an incident into the windows of another agent: ten
    // healthy windows, then two that fail 30 % of runs, the last one current.
    const operator = await connectAs("operator");
    const knowledge = await openKnowledge(operator.nc, { bucket: "patinox", create: false });
    await applyDefinition(
      knowledge,
      AgentDefinition.parse({
        v: 1,
        name: "incident",
        model: { name: "test-model" },
        instructions: "Echo.",
        // Plan may propose a fallback model for it.
        evolution: { allow: [{ path: "model.fallbacks" }] },
      }),
      { appliedBy: "deploy-test", reason: "loop test" },
    );
    const monitor = await connectAs("monitor");
    const windows = await new Kvm(monitor.nc).open("patinox");
    const W = 600_000;
    // Not in the last seconds of a window: the two incident windows must stay current.
    await eventually(() => Date.now() % W < W - 30_000, 40_000);
    const current = Math.floor(Date.now() / W) * W;
    for (let i = 11; i >= 0; i--) {
      const failed = i <= 1 ? 30 : 1;
      await windows.put(
        `metrics.incident.${current - i * W}`,
        JSON.stringify(metricWindow(current - i * W, W, 100, failed)),
      );
    }
    const kv = await new Kvm(operator.nc).open("patinox");
    const firstKey = async (filter: string) => {
      for await (const key of await kv.keys(filter)) return key;
      return undefined;
    };
    await eventually(async () => (await firstKey("findings.incident.>")) !== undefined, 60_000);
    await eventually(async () => (await firstKey("plans.incident.>")) !== undefined, 60_000);
    expect(monitor.refused).toEqual([]);
    expect(violations().filter((v) => !v.client.startsWith("deploy-test-"))).toEqual([]);
  });
});

describe("refusals", () => {
  it("a publisher may not read other inboxes, publish telemetry, write knowledge or use JetStream", async () => {
    const publisher = await connectAs("publisher", { inboxPrefix: PUBLISHER_INBOX_PREFIX });
    const sub = publisher.nc.subscribe("_INBOX.>");
    await expect(sub.closed).resolves.toBeInstanceOf(PermissionViolationError);
    publisher.nc.publish("patinox.telemetry.execute.run.completed", "{}");
    publisher.nc.publish("$KV.patinox.agents.support.config", "{}");
    publisher.nc.publish("patinox.jobs.support", "{}");
    await expect(
      publisher.nc.request("$JS.API.STREAM.DELETE.patinox_telemetry", "", { timeout: 5_000 }),
    ).rejects.toThrow();
    await eventually(() => publisher.refused.length >= 5);
    expect(new Set(publisher.refused.map((e) => `${e.operation} ${e.subject}`))).toEqual(
      new Set([
        "subscription _INBOX.>",
        "publish patinox.telemetry.execute.run.completed",
        "publish $KV.patinox.agents.support.config",
        "publish patinox.jobs.support",
        "publish $JS.API.STREAM.DELETE.patinox_telemetry",
      ]),
    );
    // The same connection still runs agents.
    expect((await runAgent(publisher.nc, "still allowed")).status).toBe("completed");
  });

  it.each([
    ["execute", "findings.support.fp1", "agents.support.config"],
    ["analyze", "agents.support.config", "findings.support.fp1"],
    ["monitor", "plans.support.p1", "agents.support.config"],
    ["plan", "metrics.support.1000", "findings.support.fp1"],
  ] as const)("%s may not write %s (but may read %s)", async (role, forbiddenKey, readableKey) => {
    const { nc, refused } = await connectAs(role);
    const kv = await new Kvm(nc).open("patinox");
    await expect(kv.put(forbiddenKey, "{}")).rejects.toThrow();
    await eventually(() => refused.some((e) => e.subject === `$KV.patinox.${forbiddenKey}`));
    // Reading is allowed: no refusal for the get (the key may or may not exist).
    await kv.get(readableKey);
    expect(refused.map((e) => e.subject)).toEqual([`$KV.patinox.${forbiddenKey}`]);
  });

  it("no service may delete or purge a stream", async () => {
    for (const role of SERVICES) {
      const { nc, refused } = await connectAs(role);
      await expect(
        nc.request("$JS.API.STREAM.DELETE.patinox_telemetry", "", { timeout: 5_000 }),
      ).rejects.toThrow();
      await expect(
        nc.request("$JS.API.STREAM.PURGE.KV_patinox", "", { timeout: 5_000 }),
      ).rejects.toThrow();
      await eventually(() => refused.length >= 2);
      expect(refused.map((e) => e.subject).sort()).toEqual([
        "$JS.API.STREAM.DELETE.patinox_telemetry",
        "$JS.API.STREAM.PURGE.KV_patinox",
      ]);
    }
  });

  it("Analyze may read telemetry but not pull from Monitor's durable consumer", async () => {
    const { nc, refused } = await connectAs("analyze");
    await expect(
      nc.request("$JS.API.CONSUMER.MSG.NEXT.patinox_telemetry.monitor", '{"batch":1}', {
        timeout: 5_000,
      }),
    ).rejects.toThrow();
    await eventually(() => refused.length >= 1);
    expect(refused.map((e) => e.subject)).toEqual([
      "$JS.API.CONSUMER.MSG.NEXT.patinox_telemetry.monitor",
    ]);
  });

  it("Execute may not serve another service's status subject, nor Analyze the run subject", async () => {
    const execute = await connectAs("execute");
    const status = execute.nc.subscribe("patinox.svc.plan.status");
    await expect(status.closed).resolves.toBeInstanceOf(PermissionViolationError);
    const analyze = await connectAs("analyze");
    const run = analyze.nc.subscribe("patinox.agents.*.run", { queue: "execute" });
    await expect(run.closed).resolves.toBeInstanceOf(PermissionViolationError);
  });

  it("after every refusal the services are still ready and still working", async () => {
    for (const service of services.values()) {
      const response = await fetch(`http://127.0.0.1:${service.healthPort}/readyz`);
      expect(response.status).toBe(200);
    }
    const publisher = await connectAs("publisher", { inboxPrefix: PUBLISHER_INBOX_PREFIX });
    expect(await runAgent(publisher.nc, "after the refusals")).toMatchObject({
      status: "completed",
      output: "echo: after the refusals",
    });
    // The service processes themselves never ran into a wall: every violation the server
    // logged came from this test's deliberate attempts (its connections are named so).
    const logged = violations();
    expect(logged.length).toBeGreaterThanOrEqual(21);
    expect(
      logged.filter((v) => !v.client.startsWith("deploy-test-") || v.role === undefined),
    ).toEqual([]);
  });
});

/** A metric window of `runs` runs, `failed` of them failed (the shape Monitor writes). */
function metricWindow(windowStart: number, windowMs: number, runs: number, failed: number): object {
  return {
    v: 1,
    agent: "incident",
    windowStart,
    windowMs,
    runs,
    ok: runs - failed,
    maxSteps: 0,
    failedByCode: { tool_failure: failed },
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
