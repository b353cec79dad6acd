import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { applyDefinition } from "@patinox/agents";
import { runCli } from "@patinox/cli";
import { AgentDefinition, JobResult, streamNames } from "@patinox/contracts";
import { openKnowledge } from "@patinox/knowledge";
import { ModelServer, ModelStep, NatsServer } from "@patinox/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, startServiceProcess } from "./support/spawn-node.ts";

let nats: NatsServer;
let model: ModelServer;
/** The input of every model call, in arrival order: a job's input is its run id. */
const asked: string[] = [];
beforeAll(async () => {
  nats = await NatsServer.start();
  // A slow model, so kills land while jobs are in flight.
  model = await ModelServer.start({
    handler: (request) => {
      const input = String(request.messages.at(-1)?.content ?? "");
      asked.push(input);
      return ModelStep.delayed(250, ModelStep.text(`answer to ${input}`));
    },
  });
});
afterAll(async () => {
  await model?.close();
  await nats?.[Symbol.asyncDispose]();
});

function executeEnv(): NodeJS.ProcessEnv {
  return {
    NATS_URL: nats.url,
    OPENAI_BASE_URL: model.baseURL,
    OPENAI_API_KEY: "sk-test",
    PATINOX_JOB_CONCURRENCY: "4",
    // Short, so a job held by a killed process comes back quickly.
    PATINOX_JOB_ACK_WAIT_MS: "2000",
  };
}

describe("durable jobs survive kill -9 of Execute", () => {
  it("loses no job and runs none twice", async () => {
    const nc = await connect({ servers: nats.url });
    const knowledge = await openKnowledge(nc, { bucket: "patinox" });
    await applyDefinition(
      knowledge,
      AgentDefinition.parse({
        v: 1,
        name: "batch",
        model: { name: "test-model" },
        instructions: "Answer.",
        limits: { maxConcurrency: 8, rateLimit: { requestsPerMinute: 100_000, burst: 1_000 } },
      }),
      { appliedBy: "test", reason: "kill -9 test" },
    );
    // Every result published, by run id: a re-run would publish a different payload.
    const results = new Map<string, Set<string>>();
    const sub = nc.subscribe("patinox.results.>", {
      callback: (_error, msg) => {
        const runId = msg.subject.split(".").at(-1) ?? "";
        results.set(runId, (results.get(runId) ?? new Set()).add(msg.string()));
      },
    });

    let execute = await startServiceProcess("execute", executeEnv());
    const js = jetstream(nc);
    const runIds = Array.from({ length: 24 }, (_, i) => `job-${i}`);
    for (const runId of runIds) {
      await js.publish("patinox.jobs.batch", JSON.stringify({ v: 1, input: runId, runId }), {
        msgID: runId,
      });
    }
    for (const after of [6, 14]) {
      // Kill only while a model call is out for a job with no result yet, so the kill lands
      // mid-job (not in the gap between two fetches, which a loaded machine makes likely).
      await eventually(
        () => results.size >= after && asked.some((runId) => !results.has(runId)),
        30_000,
        20,
      );
      execute.child.kill("SIGKILL");
      await execute.exited;
      execute = await startServiceProcess("execute", executeEnv());
    }
    await eventually(() => runIds.every((id) => results.has(id)), 60_000);
    // A publisher retry of an already queued job is dropped by the stream's duplicate window.
    await js.publish(
      "patinox.jobs.batch",
      JSON.stringify({ v: 1, input: "job-0", runId: "job-0" }),
      {
        msgID: "job-0",
      },
    );

    const jsm = await jetstreamManager(nc);
    await eventually(async () => (await jsm.streams.info(streamNames().jobs)).state.messages === 0);
    for (const runId of runIds) {
      const payloads = [...(results.get(runId) ?? [])];
      // Republished after a redelivery, a result is the same bytes; a second run would differ.
      expect(payloads, runId).toHaveLength(1);
      expect(JobResult.parse(JSON.parse(payloads[0] ?? ""))).toMatchObject({
        runId,
        status: "completed",
        output: `answer to ${runId}`,
      });
    }
    expect((await jsm.streams.info(streamNames().results)).state.messages).toBe(24);
    // The kills landed mid-job: some model calls were made again for jobs that never finished.
    expect(model.chatRequests.length).toBeGreaterThan(runIds.length);
    sub.unsubscribe();

    // The CLI takes the same two paths: request/reply and a durable job.
    const out: string[] = [];
    const err: string[] = [];
    const io = {
      stdout: { write: (text: string) => out.push(text) },
      stderr: { write: (text: string) => err.push(text) },
      env: { NATS_URL: nats.url },
    };
    expect(await runCli(["run", "batch", "hello"], io)).toBe(0);
    expect(out.join("")).toBe("answer to hello\n");
    expect(err.join("")).toMatch(/^completed · run .* · batch v1 · test-model · 1 step/);
    out.length = 0;
    expect(
      await runCli(["run", "batch", "queued", "--async", "--run-id", "cli-1", "--json"], io),
    ).toBe(0);
    expect(JSON.parse(out.join(""))).toMatchObject({ runId: "cli-1", output: "answer to queued" });
    out.length = 0;
    expect(await runCli(["run", "nobody", "hello", "--json"], io)).toBe(2);
    expect(JSON.parse(out.join(""))).toMatchObject({ error: { code: "unknown_agent" } });
    // A run that started and failed is a reply, not a refusal: its status and error are printed.
    out.length = 0;
    expect(await runCli(["run", "batch", "too slow", "--deadline", "50", "--json"], io)).toBe(2);
    expect(JSON.parse(out.join(""))).toMatchObject({
      status: "failed",
      agent: "batch",
      error: { code: "deadline_exceeded" },
    });

    await execute[Symbol.asyncDispose]();
    await nc.close();
  }, 180_000);
});
