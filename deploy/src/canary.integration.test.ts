import { randomBytes } from "node:crypto";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import { applyDefinition } from "@patinox/agents";
import { AgentDefinition, KnowledgeKeys, MetricWindow, RunReply } from "@patinox/contracts";
import { GitHubServer } from "@patinox/github-testkit";
import { openKnowledge } from "@patinox/knowledge";
import { ModelServer, ModelStep, NatsServer } from "@patinox/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
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
let github: GitHubServer;
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
      const incident = JSON.stringify(request.messages).includes(INCIDENT_AGENT.instructions);
      if (input.includes("fail") || incident) {
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
  // The behaviour repository Plan proposes changes to; it accepts only the canary token.
  github = await GitHubServer.start({
    owner: "acme",
    repo: "behaviour",
    tokens: [CANARIES.githubToken],
    files: { "agents/incident.yaml": stringify(INCIDENT_AGENT) },
  });
  await applyDefinition(knowledge, AgentDefinition.parse(INCIDENT_AGENT), {
    appliedBy: "canary-test",
    reason: "canary",
  });
  const env: Record<string, NodeJS.ProcessEnv> = {
    execute: { OPENAI_BASE_URL: model.baseURL, OPENAI_API_KEY: CANARIES.openaiKey },
    monitor: { PATINOX_MONITOR_WINDOW_MS: "1000" },
    analyze: { PATINOX_ANALYZE_INTERVAL_MS: "200", PATINOX_ANALYZE_DEBOUNCE_MS: "20" },
    plan: {
      PATINOX_PLAN_SINK: "github",
      PATINOX_PLAN_GITHUB_REPO: "acme/behaviour",
      GITHUB_TOKEN: CANARIES.githubToken,
      GITHUB_API_URL: github.url,
      PATINOX_PLAN_GITHUB_WRITE_INTERVAL_MS: "0",
      PATINOX_PLAN_MODELS: '[{"name":"backup-model"}]',
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
  await github?.stop();
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

    // An incident: the incident agent's runs fail (their input holds the address, the
    // provider's error echoes key and input), and its windows show it, so Analyze opens a
    // finding (it may sample these runs' traces for its evidence) and Plan opens a pull request.
    for (let i = 0; i < 3; i++) {
      const reply = RunReply.parse(
        JSON.parse(
          await request("patinox.agents.incident.run", {
            v: 1,
            input: `Order ${i} for ${CANARIES.email} is late`,
          }),
        ),
      );
      expect(reply.status).toBe("failed");
    }
    await writeIncidentWindows();
    await waitFor(() => github.repository.pulls().length > 0, 90_000, "a pull request");

    const pulls = github.repository.pulls();
    const githubTexts = [
      ...pulls.flatMap((p) => [p.title, p.body ?? "", ...p.comments.map((c) => c.body)]),
      ...github.requests.map((r) => JSON.stringify(r.body ?? null)),
    ];
    const scanned = await everythingWritten();
    expect(scanned.streams).toBeGreaterThan(0);
    const found = [
      ...published.flatMap((text) =>
        leaks(text).map((what) => ({ what, where: "published", text })),
      ),
      ...scanned.records.flatMap((text) =>
        leaks(text).map((what) => ({ what, where: "jetstream", text })),
      ),
      ...githubTexts.flatMap((text) =>
        leaks(text).map((what) => ({ what, where: "github", text })),
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
    expect(pulls.length).toBeGreaterThan(0);
    expect(github.problems()).toEqual([]);
  });
});

/** The incident agent: its file in the behaviour repository and its live definition. */
const INCIDENT_AGENT = {
  v: 1,
  name: "incident",
  model: { name: "test-model" },
  instructions: "Handle late orders.",
  evolution: { allow: [{ path: "model.fallbacks" }] },
};

async function waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no ${what} within ${timeoutMs} ms`);
}

/** Ten healthy windows of the incident agent, then two failing 30 % of runs, the last current. */
async function writeIncidentWindows(): Promise<void> {
  const knowledge = await openKnowledge(observer, { bucket: "patinox" });
  const W = 600_000;
  // Not in the last seconds of a window: the two failing windows must stay current.
  await waitFor(() => Date.now() % W < W - 30_000, 40_000, "a fresh window");
  const current = Math.floor(Date.now() / W) * W;
  for (let i = 11; i >= 0; i--) {
    const failed = i <= 1 ? 30 : 1;
    const windowStart = current - i * W;
    await knowledge.put(KnowledgeKeys.metricsWindow("incident", windowStart), MetricWindow, {
      ...MetricWindow.parse({ v: 1, agent: "incident", windowStart, windowMs: W }),
      runs: 100,
      ok: 100 - failed,
      failedByCode: { model_failure: failed },
    });
  }
}

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
