import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { ErrorReply, JobRequest, parseMessage, RunReply, streamNames } from "@patinox/contracts";
import { ModelServer, NatsServer, simulatedModel } from "@patinox/testkit";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExecuteHarness } from "./test-support/execute-harness.ts";

let nats: NatsServer;
let model: ModelServer;
let harness: ExecuteHarness;

beforeAll(async () => {
  nats = await NatsServer.start({ jetstream: true });
  model = await ModelServer.start({ ...simulatedModel(), record: false });
  harness = await ExecuteHarness.start({ nats, modelBaseURL: model.baseURL });
  await harness.apply({
    v: 1,
    name: "echo",
    model: { name: "simulated-small" },
    instructions: "Answer briefly.",
  });
});
afterAll(async () => {
  await harness?.[Symbol.asyncDispose]();
  await model?.close();
  await nats?.[Symbol.asyncDispose]();
});

/** Sends raw bytes to an agent's run subject and checks the reply is one of the two schemas. */
async function answerIsStructured(agent: string, payload: Uint8Array | string): Promise<void> {
  const reply = await harness.nc.request(`${harness.prefix}.agents.${agent}.run`, payload, {
    timeout: 10_000,
  });
  const body: unknown = JSON.parse(new TextDecoder().decode(reply.data));
  const asError = ErrorReply.safeParse(body);
  const asRun = RunReply.safeParse(body);
  expect(asError.success || asRun.success, JSON.stringify(body).slice(0, 300)).toBe(true);
}

describe("anything published on the run subject", () => {
  it("random bytes always get a structured error, and the service keeps serving", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 2_048 }), async (bytes) => {
        await answerIsStructured("echo", bytes);
      }),
      { numRuns: 150, seed: 20261124 },
    );
    expect((await harness.run("echo", { v: 1, input: "still there?" })).status).toBe("completed");
  });

  it("random JSON values, and run requests with random fields, always get a structured reply", async () => {
    const requestish = fc.record(
      {
        v: fc.oneof(fc.constant(1), fc.integer()),
        input: fc.oneof(
          fc.string({ maxLength: 200 }),
          fc.array(
            fc.record({
              role: fc.constantFrom("user", "assistant", "system"),
              content: fc.string(),
            }),
          ),
          fc.jsonValue(),
        ),
        timeoutMs: fc.oneof(fc.integer({ min: -10, max: 5_000 }), fc.string()),
        metadata: fc.dictionary(fc.string({ maxLength: 70 }), fc.jsonValue()),
        runId: fc.string({ maxLength: 80 }),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.jsonValue(), requestish),
        fc.constantFrom("echo", "nobody"),
        async (value, agent) => {
          await answerIsStructured(agent, JSON.stringify(value));
        },
      ),
      { numRuns: 200, seed: 20261124 },
    );
    expect((await harness.run("echo", { v: 1, input: "still there?" })).status).toBe("completed");
  });

  it("random bytes and JSON on the jobs and cancel subjects are dead-lettered or ignored, never crash", async () => {
    const js = jetstream(harness.nc);
    const names = streamNames(harness.prefix);
    const payloads = fc.sample(
      fc.oneof(
        fc.uint8Array({ maxLength: 512 }),
        fc.jsonValue().map((v) => new TextEncoder().encode(JSON.stringify(v))),
      ),
      { numRuns: 60, seed: 20261124 },
    );
    const unparsable = payloads.filter((p) => !parseMessage(JobRequest, p).ok).length;
    for (const payload of payloads) {
      await js.publish(`${harness.prefix}.jobs.echo`, payload);
      harness.nc.publish(`${harness.prefix}.runs.some-run.cancel`, payload);
    }
    const jsm = await jetstreamManager(harness.nc);
    await expect
      .poll(async () => (await jsm.streams.info(names.jobs)).state.messages, { timeout: 30_000 })
      .toBe(0);
    expect((await jsm.streams.info(names.deadLetters)).state.messages).toBe(unparsable);
    expect((await harness.run("echo", { v: 1, input: "still there?" })).status).toBe("completed");
  });
});
