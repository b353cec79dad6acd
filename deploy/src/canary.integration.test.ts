import { randomBytes } from "node:crypto";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import { applyDefinition } from "@patinox/agents";
import { AgentDefinition, RunReply } from "@patinox/contracts";
import { openKnowledge } from "@patinox/knowledge";
import { freePort, ModelServer, ModelStep, NatsServer } from "@patinox/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ServiceProcess, startServiceProcess } from "./test-support/service-process.ts";

/**
 * Canaries: an OpenAI key (Execute's credential), a GitHub token (Plan's) and a user's e-mail
 * address (in run input). After runs that succeed and runs whose provider error echoes the
 * key and the input back, nothing the services logged, published on NATS or wrote to
 * JetStream (knowledge records, telemetry, results, events, dead letters) holds any of them.
 */
const token = (alphabet: string, length: number) =>
  Array.from(randomBytes(length), (b) => alphabet[b % alphabet.length]).join("");
const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const CANARIES = {
  openaiKey: `sk-proj-${token(ALNUM, 48)}`,
  githubToken: `ghp_${token(ALNUM, 36)}`,
  email: `canary.${token("abcdefghijklmnopqrstuvwxyz", 10)}@example.org`,
};
/** A leak of part of a secret counts too: each canary's distinctive middle. */
const NEEDLES = Object.entries(CANARIES).flatMap(([name, value]) => [
  { name, needle: value },
  { name: `${name} (fragment)`, needle: value.slice(value.length - 20, value.length - 4) },
]);

let nats: NatsServer;
let model: ModelServer;
let observer: NatsConnection;
const services: ServiceProcess[] = [];
/** Everything published on the server while the services ran, except the test's own requests. */
const published: string[] = [];
const ownRequests = new Set<string>();
/** The test's own requests as the observer saw them: the control that the scan can see a canary. */
const ownSeen: string[] = [];

function leaks(text: string): string[] {
  return NEEDLES.filter(({ needle }) => text.includes(needle)).map(({ name }) => name);
}

beforeAll(async () => {
  nats = await NatsServer.start();
  model = await ModelServer.start({
    apiKey: CANARIES.openaiKey,
    handler: (request) => {
      const input = String(request.messages.at(-1)?.content ?? "");
      // A provider that echoes the credential and the user's input in its error.
      if (input.includes("fail")) {
        return ModelStep.error({
          status: 500,
          message: `upstream refused key ${CANARIES.openaiKey} for input: ${input}`,
        });
      }
      return ModelStep.text("Your order has shipped.");
    },
  });
  observer = await connect({ servers: nats.url, name: "canary-observer" });
  observer.subscribe(">", {
    callback: (_error, msg) => {
      const headers = msg.headers
        ? [...msg.headers.keys()].map((k) => `${k}: ${msg.headers?.get(k)}`)
        : [];
      const text = `${msg.subject}\n${headers.join("\n")}\n${new TextDecoder().decode(msg.data)}`;
      if (ownRequests.has(msg.subject + new TextDecoder().decode(msg.data))) ownSeen.push(text);
      else published.push(text);
    },
  });
  await observer.flush();
  const knowledge = await openKnowledge(observer, { bucket: "patinox" });
  await applyDefinition(
    knowledge,
    AgentDefinition.parse({
      v: 1,
      name: "support",
      model: { name: "test-model" },
      instructions: "Answer the customer.",
    }),
    { appliedBy: "canary-test", reason: "canary" },
  );
  const common = { NATS_URL: nats.url, LOG_LEVEL: "debug" };
  const closedPort = await freePort();
  const env: Record<string, NodeJS.ProcessEnv> = {
    execute: { OPENAI_BASE_URL: model.baseURL, OPENAI_API_KEY: CANARIES.openaiKey },
    monitor: { PATINOX_MONITOR_WINDOW_MS: "1000" },
    analyze: {},
    plan: {
      PATINOX_PLAN_SINK: "github",
      PATINOX_PLAN_GITHUB_REPO: "acme/behaviour",
      GITHUB_TOKEN: CANARIES.githubToken,
      // Nothing listens: Plan may try GitHub and fail, which must not print the token either.
      GITHUB_API_URL: `http://127.0.0.1:${closedPort}/api/v3`,
    },
  };
  for (const name of ["monitor", "analyze", "plan", "execute"]) {
    services.push(await startServiceProcess(name, { ...common, ...env[name] }));
  }
}, 240_000);

afterAll(async () => {
  for (const service of services) await service[Symbol.asyncDispose]();
  await observer?.close();
  await model?.close();
  await nats?.[Symbol.asyncDispose]();
});

async function request(subject: string, body: object): Promise<string> {
  const data = JSON.stringify(body);
  ownRequests.add(subject + data);
  const reply = await observer.request(subject, data, { timeout: 20_000 });
  return reply.string();
}

describe("canary secrets", () => {
  it("reach the model server and the run, and appear nowhere else", async () => {
    const ok = RunReply.parse(
      JSON.parse(
        await request("patinox.agents.support.run", {
          v: 1,
          input: `Where is my order? Reply to ${CANARIES.email}`,
          callerId: "canary",
        }),
      ),
    );
    expect(ok).toMatchObject({ status: "completed", output: "Your order has shipped." });
    // The key was really used: the model server accepted it.
    expect(model.requests.some((r) => r.apiKey === "matched")).toBe(true);
    expect(model.requests.every((r) => r.apiKey === "matched")).toBe(true);

    const failed = RunReply.parse(
      JSON.parse(
        await request("patinox.agents.support.run", {
          v: 1,
          input: `Please fail for ${CANARIES.email}`,
        }),
      ),
    );
    expect(failed.status).toBe("failed");

    // A durable job carries the address too.
    const js = jetstream(observer);
    const jobData = JSON.stringify({
      v: 1,
      runId: "canary-job-1",
      input: `Job for ${CANARIES.email}`,
    });
    ownRequests.add(`patinox.jobs.support${jobData}`);
    const result = new Promise<string>((resolve) => {
      const sub = observer.subscribe("patinox.results.canary-job-1", {
        callback: (_error, msg) => {
          resolve(msg.string());
          sub.unsubscribe();
        },
      });
    });
    await js.publish("patinox.jobs.support", jobData, { msgID: "canary-job-1" });
    expect(JSON.parse(await result)).toMatchObject({ runId: "canary-job-1" });

    // Telemetry reached Monitor's windows: the scan below covers knowledge records too.
    await waitForMetrics();

    const scanned = await everythingWritten();
    expect(scanned.streams).toBeGreaterThan(0);
    const found = [
      ...published.flatMap((text) =>
        leaks(text).map((what) => ({ what, where: "published", text })),
      ),
      ...scanned.records.flatMap((text) =>
        leaks(text).map((what) => ({ what, where: "jetstream", text })),
      ),
      ...services.flatMap((s) =>
        s.child.lines.flatMap((line) =>
          leaks(line).map((what) => ({ what, where: `${s.name} log`, text: line })),
        ),
      ),
    ];
    expect(found).toEqual([]);
    // The scan saw the traffic it claims to have seen, and finds a canary where one is.
    expect(ownSeen.flatMap(leaks)).toContain("email");
    expect(published.some((text) => text.startsWith("patinox.telemetry.execute."))).toBe(true);
    expect(published.some((text) => text.startsWith("$KV.patinox.metrics.support."))).toBe(true);
    expect(services.every((s) => s.child.lines.length > 0)).toBe(true);
  });
});

async function waitForMetrics(): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (published.some((text) => text.startsWith("$KV.patinox.metrics.support."))) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error("Monitor wrote no metric window");
}

/** Every message of every stream (knowledge bucket included), as text. */
async function everythingWritten(): Promise<{ streams: number; records: string[] }> {
  const jsm = await jetstreamManager(observer);
  const records: string[] = [];
  let streams = 0;
  for await (const info of jsm.streams.list()) {
    streams++;
    const { first_seq, last_seq } = info.state;
    for (let seq = first_seq; seq <= last_seq && last_seq > 0; seq++) {
      const message = await jsm.streams.getMessage(info.config.name, { seq }).catch(() => null);
      if (message) records.push(`${message.subject}\n${message.string()}`);
    }
  }
  return { streams, records };
}
