import { BreakerRecord, BudgetRecord, KnowledgeKeys, RateBucketRecord } from "@patinox/contracts";
import { hourStart } from "@patinox/resilience";
import { type ModelHandler, ModelServer, ModelStep, NatsServer } from "@patinox/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { agentDefinition, ExecuteHarness } from "./test-support/execute-harness.ts";

let nats: NatsServer;
beforeAll(async () => {
  nats = await NatsServer.start();
});
afterAll(async () => {
  await nats?.[Symbol.asyncDispose]();
});

/** `primary` always answers 500; every other model answers with its own name. */
const primaryDown: ModelHandler = (request) =>
  request.model === "primary"
    ? ModelStep.serverError()
    : ModelStep.text(`answered by ${request.model}`);

/** A breaker that opens after two calls that both failed, and stays open for a minute. */
const tripAfterTwo = JSON.stringify({ minimumRequests: 2, failureRatio: 0.5, coolDownMs: 60_000 });

const withFallback = { model: { name: "primary", fallbacks: [{ name: "backup" }] } };

/** The model named by each chat request the server received, in order. */
function modelsCalled(model: ModelServer): (string | undefined)[] {
  return model.chatRequests.map((r) => r.body?.model);
}

/** A run request whose reply may be a `RunReply` or an `ErrorReply`. */
async function rawRun(
  execute: ExecuteHarness,
  agent: string,
  request: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const reply = await execute.nc.request(
    `${execute.prefix}.agents.${agent}.run`,
    JSON.stringify({ v: 1, ...request }),
    { timeout: 10_000 },
  );
  return reply.json();
}

async function until<T>(
  read: () => Promise<T>,
  ok: (value: T) => boolean,
  what: string,
): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("circuit breakers", () => {
  it("open after the failures of the window, then skip the model and fall back without calling it", async () => {
    await using model = await ModelServer.start({ handler: primaryDown });
    await using execute = await ExecuteHarness.start({
      nats,
      modelBaseURL: model.baseURL,
      env: { PATINOX_BREAKER: tripAfterTwo },
    });
    await execute.apply(agentDefinition("resilient", withFallback));
    await execute.apply(agentDefinition("solo", { model: { name: "primary" } }));

    for (let i = 0; i < 2; i++) {
      expect(await execute.run("resilient", { input: "Hello" })).toMatchObject({
        status: "completed",
        output: "answered by backup",
        model: { name: "backup" },
      });
    }
    expect(modelsCalled(model)).toEqual(["primary", "backup", "primary", "backup"]);
    const record = await execute.knowledge.get(
      KnowledgeKeys.breaker("openai", "primary"),
      BreakerRecord,
    );
    expect(record?.value).toMatchObject({
      provider: "openai",
      model: "primary",
      state: "open",
      failureRatio: 1,
      requests: 2,
      trips: 1,
    });
    expect(await execute.logged({ msg: "circuit breaker changed state" })).toMatchObject({
      provider: "openai",
      model: "primary",
      state: "open",
      previous: "closed",
    });

    // Open: the fallback answers at once; primary is not called.
    expect(await execute.run("resilient", { input: "Hello again" })).toMatchObject({
      status: "completed",
      model: { name: "backup" },
    });
    // An agent with no other model fails with model_failure, without a call either.
    const solo = await execute.run("solo", { input: "Hello" });
    expect(solo).toMatchObject({ status: "failed", steps: 0 });
    expect(solo.error).toMatchObject({
      code: "model_failure",
      recovery: "fallback",
      details: { model: "primary", provider: "openai", reason: "breaker_open", state: "open" },
    });
    expect(solo.error?.message).toBe("primary (openai): circuit breaker is open, not called");
    expect(solo.error?.retryAfterMs).toBeGreaterThan(30_000);
    expect(modelsCalled(model)).toEqual(["primary", "backup", "primary", "backup", "backup"]);
  });

  it("a second replica sees the breaker another opened and skips the model without calling it", async () => {
    await using model = await ModelServer.start({ handler: primaryDown });
    const first = await ExecuteHarness.start({
      nats,
      modelBaseURL: model.baseURL,
      env: { PATINOX_BREAKER: tripAfterTwo },
    });
    await using _first = first;
    await first.apply(agentDefinition("resilient", withFallback));
    await first.run("resilient", { input: "one" });
    await first.run("resilient", { input: "two" });
    await first.logged({ msg: "circuit breaker changed state", state: "open" });

    // The second replica shares the first's prefix and bucket.
    await using second = await ExecuteHarness.start({
      nats,
      modelBaseURL: model.baseURL,
      env: { PATINOX_BREAKER: tripAfterTwo, PATINOX_PREFIX: first.prefix },
    });
    await second.logged({ msg: "circuit breaker state seen", model: "primary", state: "open" });
    await first[Symbol.asyncDispose](); // from here on, only the second replica serves
    const calledBefore = model.chatRequests.length;

    for (let i = 0; i < 3; i++) {
      expect(await second.run("resilient", { input: `after ${i}` })).toMatchObject({
        status: "completed",
        output: "answered by backup",
      });
    }
    expect(modelsCalled(model).slice(calledBefore)).toEqual(["backup", "backup", "backup"]);
    expect(second.logEntries().filter((e) => e.msg === "run finished")).toHaveLength(3);
    // It saw the breaker open; it never tripped it itself.
    expect(second.logEntries().some((e) => e.msg === "circuit breaker changed state")).toBe(false);
  });

  it("counts timeouts of a slow model against its breaker, but not 429s", async () => {
    await using model = await ModelServer.start({
      handler: (request) =>
        request.model === "slow"
          ? ModelStep.delayed(5_000, ModelStep.text("too late"))
          : request.model === "busy"
            ? ModelStep.rateLimited({ retryAfter: 60 })
            : ModelStep.text(`answered by ${request.model}`),
    });
    await using execute = await ExecuteHarness.start({
      nats,
      modelBaseURL: model.baseURL,
      env: { PATINOX_BREAKER: tripAfterTwo },
    });
    await execute.apply(
      agentDefinition("impatient", {
        model: { name: "slow", timeoutMs: 200, fallbacks: [{ name: "backup" }] },
      }),
    );
    await execute.apply(
      agentDefinition("throttled", { model: { name: "busy", fallbacks: [{ name: "backup" }] } }),
    );

    for (let i = 0; i < 3; i++) {
      await execute.run("throttled", { input: "Hello" });
      await execute.run("impatient", { input: "Hello" });
    }

    const state = async (name: string) =>
      (await execute.knowledge.get(KnowledgeKeys.breaker("openai", name), BreakerRecord))?.value
        .state;
    expect(await state("slow")).toBe("open");
    expect(await state("busy")).toBeUndefined();
    // Two timeouts opened it; the third run skipped it. The 429s never open "busy".
    expect(modelsCalled(model).filter((m) => m === "slow")).toHaveLength(2);
    expect(modelsCalled(model).filter((m) => m === "busy")).toHaveLength(3);
  });

  it("after the cool-down one call probes the model, and its answer closes the breaker", async () => {
    let primaryUp = false;
    await using model = await ModelServer.start({
      handler: (request) =>
        request.model === "primary" && !primaryUp
          ? ModelStep.serverError()
          : ModelStep.text(`answered by ${request.model}`),
    });
    await using execute = await ExecuteHarness.start({
      nats,
      modelBaseURL: model.baseURL,
      env: { PATINOX_BREAKER: JSON.stringify({ minimumRequests: 2, coolDownMs: 200 }) },
    });
    await execute.apply(agentDefinition("resilient", withFallback));
    await execute.run("resilient", { input: "one" });
    await execute.run("resilient", { input: "two" });
    const key = KnowledgeKeys.breaker("openai", "primary");
    const open = await execute.knowledge.get(key, BreakerRecord);
    expect(open?.value.state).toBe("open");
    primaryUp = true;
    // Wait until the cool-down is over by the record's own clock, not by sleeping a guess.
    await until(
      async () => Date.now(),
      (now) => now > (open?.value.openUntilMs ?? 0),
      "the cool-down",
    );

    expect(await execute.run("resilient", { input: "probe" })).toMatchObject({
      status: "completed",
      output: "answered by primary",
      model: { name: "primary" },
    });
    expect((await execute.knowledge.get(key, BreakerRecord))?.value.state).toBe("closed");
    const transitions = execute
      .logEntries()
      .filter((e) => e.msg === "circuit breaker changed state")
      .map((e) => [e.previous, e.state]);
    expect(transitions).toEqual([
      ["closed", "open"],
      ["open", "half_open"],
      ["half_open", "closed"],
    ]);
  });
});

describe("provider 429s", () => {
  it("retries the same model after its Retry-After, and the run completes there", async () => {
    await using model = await ModelServer.start({
      script: [ModelStep.rateLimited({ retryAfter: 0.2 }), ModelStep.text("Worth the wait.")],
    });
    await using execute = await ExecuteHarness.start({ nats, modelBaseURL: model.baseURL });
    await execute.apply(agentDefinition("patient", withFallback));

    const reply = await execute.run("patient", { input: "Hello", timeoutMs: 20_000 });

    expect(reply).toMatchObject({
      status: "completed",
      output: "Worth the wait.",
      model: { name: "primary" },
    });
    expect(model.chatRequests.map((r) => [r.body?.model, r.status])).toEqual([
      ["primary", 429],
      ["primary", 200],
    ]);
  });

  it("falls back instead of waiting when Retry-After is longer than maxDelayMs or than the deadline left", async () => {
    await using model = await ModelServer.start({
      script: [
        ModelStep.rateLimited({ retryAfter: 30 }),
        ModelStep.text("From the backup."),
        ModelStep.rateLimited({ retryAfter: 2 }),
        ModelStep.rateLimited({ retryAfter: 2 }),
      ],
    });
    await using execute = await ExecuteHarness.start({ nats, modelBaseURL: model.baseURL });
    await execute.apply(agentDefinition("hurried", withFallback));

    expect(await execute.run("hurried", { input: "Hello" })).toMatchObject({
      status: "completed",
      model: { name: "backup" },
    });
    // 2 s fits maxDelayMs (5 s) but not a 1.5 s deadline: both models are rate limited at once.
    const reply = await execute.run("hurried", { input: "Hello", timeoutMs: 1_500 });
    expect(reply.error).toMatchObject({
      code: "rate_limited",
      retryAfterMs: 2_000,
      retryable: true,
    });
    expect(model.chatRequests.map((r) => [r.body?.model, r.status])).toEqual([
      ["primary", 429],
      ["backup", 200],
      ["primary", 429],
      ["backup", 429],
    ]);
  });
});

describe("rate limits", () => {
  it("the replicas together admit no more runs than the agent's shared bucket holds", async () => {
    await using model = await ModelServer.start({ handler: () => ModelStep.text("ok") });
    await using first = await ExecuteHarness.start({ nats, modelBaseURL: model.baseURL });
    await using second = await ExecuteHarness.start({
      nats,
      modelBaseURL: model.baseURL,
      env: { PATINOX_PREFIX: first.prefix },
    });
    // Three runs, then one a minute: nothing refills during the test.
    await first.apply(
      agentDefinition("limited", { limits: { rateLimit: { requestsPerMinute: 1, burst: 3 } } }),
    );

    const replies = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        rawRun(i % 2 === 0 ? first : second, "limited", { input: `run ${i}` }),
      ),
    );

    const completed = replies.filter((r) => (r as { status?: string }).status === "completed");
    const refused = replies.filter(
      (r) => (r as { error?: { code?: string } }).error?.code === "rate_limited",
    );
    expect(completed).toHaveLength(3);
    expect(refused).toHaveLength(7);
    for (const reply of refused) {
      expect(reply).toMatchObject({
        v: 1,
        error: {
          code: "rate_limited",
          retryable: true,
          details: { agent: "limited", scope: "agent" },
        },
      });
      expect((reply as { error: { retryAfterMs: number } }).error.retryAfterMs).toBeGreaterThan(
        30_000,
      );
    }
    expect(model.chatRequests).toHaveLength(3);
    const bucket = await first.knowledge.get(
      KnowledgeKeys.agentRateLimit("limited"),
      RateBucketRecord,
    );
    expect(bucket?.value.tokens).toBeLessThan(1);

    // Only the second replica left: it refuses too, since the bucket is shared.
    await first[Symbol.asyncDispose]();
    expect((await second.runError("limited", { input: "again" })).error.code).toBe("rate_limited");
  });

  it("limits each caller on its own bucket when the agent has callerRateLimit", async () => {
    await using model = await ModelServer.start({ handler: () => ModelStep.text("ok") });
    await using execute = await ExecuteHarness.start({ nats, modelBaseURL: model.baseURL });
    await execute.apply(
      agentDefinition("per-caller", {
        limits: { callerRateLimit: { requestsPerMinute: 1, burst: 2 } },
      }),
    );

    for (let i = 0; i < 2; i++) {
      expect(
        (await execute.run("per-caller", { input: "hi", callerId: "alice@example.com" })).status,
      ).toBe("completed");
    }
    const refused = await execute.runError("per-caller", {
      input: "hi",
      callerId: "alice@example.com",
    });
    expect(refused.error).toMatchObject({
      code: "rate_limited",
      details: { agent: "per-caller", scope: "caller" },
    });
    expect(refused.error.message).toMatch(
      /^caller "alice@example.com" of agent per-caller is over its rate limit/,
    );
    expect((await execute.run("per-caller", { input: "hi", callerId: "bob" })).status).toBe(
      "completed",
    );
    // Without a caller id only the agent's limit applies.
    expect((await execute.run("per-caller", { input: "hi" })).status).toBe("completed");
  });
});

describe("token budgets", () => {
  it("are shared by the replicas: budget_exhausted once their joint spending reaches it, until the next hour", async () => {
    await using model = await ModelServer.start({
      handler: () => ModelStep.text("ok", { usage: { promptTokens: 30, completionTokens: 10 } }),
    });
    const refresh = { PATINOX_BUDGET_REFRESH_MS: "0" };
    const first = await ExecuteHarness.start({ nats, modelBaseURL: model.baseURL, env: refresh });
    await using _first = first;
    await first.apply(agentDefinition("thrifty", { limits: { tokenBudgetPerHour: 100 } }));
    await first.run("thrifty", { input: "one" });
    await first.run("thrifty", { input: "two" });
    // Stopping writes the charges not written yet.
    await first[Symbol.asyncDispose]();
    const key = KnowledgeKeys.budget("thrifty", hourStart(Date.now()));

    await using second = await ExecuteHarness.start({
      nats,
      modelBaseURL: model.baseURL,
      env: { ...refresh, PATINOX_PREFIX: first.prefix },
    });
    expect((await second.knowledge.get(key, BudgetRecord))?.value.tokens).toBe(80);
    // 80 of 100: one more run is admitted (and takes the total past the budget)…
    expect((await second.run("thrifty", { input: "three" })).status).toBe("completed");
    // …and the next is refused, by the second replica, on the total both replicas spent.
    const refused = await second.runError("thrifty", { input: "four" });
    expect(refused.error).toMatchObject({
      code: "budget_exhausted",
      retryable: true,
      details: { agent: "thrifty", budget: 100, spent: 120 },
    });
    const nextHour = hourStart(Date.now()) + 3_600_000;
    expect(refused.error.retryAfterMs).toBeGreaterThan(0);
    expect(refused.error.retryAfterMs).toBeLessThanOrEqual(nextHour - Date.now() + 1_000);
    expect(model.chatRequests).toHaveLength(3);
    await until(
      async () => (await second.knowledge.get(key, BudgetRecord))?.value.tokens,
      (tokens) => tokens === 120,
      "the shared total to reach 120",
    );
  });
});
