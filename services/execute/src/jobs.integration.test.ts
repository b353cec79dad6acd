import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { DeadLetter, JobResult, streamNames } from "@patinox/contracts";
import { ModelServer, ModelStep, NatsServer } from "@patinox/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { agentDefinition, ExecuteHarness } from "./test-support/execute-harness.ts";

let nats: NatsServer;
beforeAll(async () => {
  nats = await NatsServer.start();
});
afterAll(async () => {
  await nats?.[Symbol.asyncDispose]();
});

/** Subscribes to every result of `prefix` and collects them by run id. */
function collectResults(execute: ExecuteHarness) {
  const results = new Map<string, string[]>();
  const sub = execute.nc.subscribe(`${execute.prefix}.results.>`, {
    callback: (_error, msg) => {
      const runId = msg.subject.split(".").at(-1) ?? "";
      results.set(runId, [...(results.get(runId) ?? []), msg.string()]);
    },
  });
  return {
    results,
    async waitFor(runIds: readonly string[], timeoutMs = 15_000): Promise<void> {
      const until = Date.now() + timeoutMs;
      while (!runIds.every((id) => results.has(id))) {
        if (Date.now() > until) {
          throw new Error(`results missing: ${runIds.filter((id) => !results.has(id))}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    close: () => sub.unsubscribe(),
  };
}

async function publishJob(execute: ExecuteHarness, agent: string, body: unknown): Promise<void> {
  const js = jetstream(execute.nc);
  const data = typeof body === "string" ? body : JSON.stringify(body);
  await js.publish(`${execute.prefix}.jobs.${agent}`, data);
}

describe("durable jobs", () => {
  it("runs a job, stores and publishes its result, and leaves the work queue empty", async () => {
    await using model = await ModelServer.start({ script: [ModelStep.text("Job done.")] });
    await using execute = await ExecuteHarness.start({ nats, modelBaseURL: model.baseURL });
    await execute.apply(agentDefinition("worker"));
    const collected = collectResults(execute);

    await publishJob(execute, "worker", { v: 1, input: "do it", runId: "job-1" });
    await collected.waitFor(["job-1"]);
    collected.close();

    const [published] = collected.results.get("job-1") ?? [];
    const result = JobResult.parse(JSON.parse(published ?? ""));
    expect(result).toMatchObject({ runId: "job-1", agent: "worker", status: "completed" });
    expect(result.output).toBe("Job done.");
    const jsm = await jetstreamManager(execute.nc);
    const stored = await jsm.streams.getMessage(streamNames(execute.prefix).results, {
      last_by_subj: `${execute.prefix}.results.job-1`,
    });
    expect(stored?.string()).toBe(published);
    await expect
      .poll(async () => (await jsm.streams.info(streamNames(execute.prefix).jobs)).state.messages)
      .toBe(0);
  });

  it("a redelivered job whose run already finished republishes the stored result and does not run again", async () => {
    await using model = await ModelServer.start({ script: [] });
    await using execute = await ExecuteHarness.start({ nats, modelBaseURL: model.baseURL });
    await execute.apply(agentDefinition("worker"));
    const stored: JobResult = {
      v: 1,
      runId: "job-done",
      agent: "worker",
      status: "completed",
      output: "from before the crash",
      usage: { inputTokens: 1, outputTokens: 1, costUsd: 0 },
      steps: 1,
      agentVersion: 1,
      durationMs: 5,
      completedAt: new Date().toISOString(),
    };
    await jetstream(execute.nc).publish(
      `${execute.prefix}.results.job-done`,
      JSON.stringify(stored),
      { msgID: "job-done" },
    );
    const collected = collectResults(execute);

    await publishJob(execute, "worker", { v: 1, input: "again", runId: "job-done" });
    await collected.waitFor(["job-done"]);
    collected.close();

    expect(JSON.parse(collected.results.get("job-done")?.[0] ?? "")).toEqual(stored);
    expect(model.chatRequests).toHaveLength(0);
  });

  it("dead-letters a job that cannot be parsed, answers its run id, and keeps running the jobs behind it", async () => {
    await using model = await ModelServer.start({ script: [ModelStep.text("Still working.")] });
    await using execute = await ExecuteHarness.start({ nats, modelBaseURL: model.baseURL });
    await execute.apply(agentDefinition("worker"));
    const collected = collectResults(execute);

    await publishJob(execute, "worker", "not json at all");
    await publishJob(execute, "worker", { v: 1, runId: "bad-job", input: 42 });
    await publishJob(execute, "no-such-agent", { v: 1, input: "hi", runId: "lost-job" });
    await publishJob(execute, "worker", { v: 1, input: "hi", runId: "good-job" });
    await collected.waitFor(["bad-job", "lost-job", "good-job"]);
    collected.close();

    const result = (id: string) =>
      JobResult.parse(JSON.parse(collected.results.get(id)?.[0] ?? ""));
    expect(result("good-job").status).toBe("completed");
    expect(result("bad-job")).toMatchObject({
      status: "failed",
      error: { code: "malformed_message" },
    });
    expect(result("lost-job")).toMatchObject({
      status: "failed",
      error: { code: "unknown_agent" },
    });

    const js = jetstream(execute.nc);
    const letters = await js.consumers.get(streamNames(execute.prefix).deadLetters);
    const batch = await letters.fetch({ max_messages: 2, expires: 2_000 });
    const dead: DeadLetter[] = [];
    for await (const msg of batch) {
      dead.push(DeadLetter.parse(msg.json()));
      if (dead.length === 2) break;
    }
    expect(dead.map((d) => [d.service, d.code, d.consumer])).toEqual([
      ["execute", "malformed_message", "execute"],
      ["execute", "malformed_message", "execute"],
    ]);
    expect(dead[0]?.stream).toBe(streamNames(execute.prefix).jobs);
  });
});
