import { randomBytes } from "node:crypto";
import { connect } from "@nats-io/transport-node";
import { BudgetRecord, KnowledgeKeys, PatinoxError, RateBucketRecord } from "@patinox/contracts";
import { type Knowledge, openKnowledge } from "@patinox/knowledge";
import { NatsServer } from "@patinox/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BreakerPolicy } from "./breaker-policy.ts";
import { type BreakerTransition, CircuitBreakers } from "./circuit-breakers.ts";
import { SharedRateLimiter } from "./shared-rate-limiter.ts";
import { BUDGET_HOURS_KEPT, HOUR_MS, SharedTokenBudget } from "./token-budget.ts";

let nats: NatsServer;
let nc: Awaited<ReturnType<typeof connect>>;
beforeAll(async () => {
  nats = await NatsServer.start();
  nc = await connect({ servers: nats.url });
});
afterAll(async () => {
  await nc?.close();
  await nats?.[Symbol.asyncDispose]();
});

/** A fresh bucket: each test is its own installation. */
async function bucket(): Promise<Knowledge> {
  return await openKnowledge(nc, { bucket: `r${randomBytes(4).toString("hex")}` });
}

/** A clock the test moves by hand, shared by the "replicas" of a test. */
function manualClock(start: number) {
  let now = start;
  return {
    now: () => now,
    advance: (ms: number): void => {
      now += ms;
    },
  };
}

async function eventually(check: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe("rate limits shared by two replicas", () => {
  it("admits no more than the bucket holds, whichever replica the requests reach", async () => {
    const knowledge = await bucket();
    const rate = { requestsPerMinute: 1, burst: 50 }; // no meaningful refill during the test
    const replicas = [new SharedRateLimiter({ knowledge }), new SharedRateLimiter({ knowledge })];
    const key = KnowledgeKeys.agentRateLimit("support");

    const decisions = await Promise.all(
      Array.from({ length: 150 }, (_, i) => (replicas[i % 2] as SharedRateLimiter).take(key, rate)),
    );

    const admitted = decisions.filter((d) => d.admitted).length;
    const refusals = decisions.filter((d) => !d.admitted);
    // Every admitted request spent a token of the shared bucket: at most 50 in all, and the
    // only tokens not spent are those still leased by the other replica (at most one lease).
    expect(admitted).toBeLessThanOrEqual(50);
    expect(admitted).toBeGreaterThanOrEqual(45);
    expect(refusals.every((d) => !d.admitted && d.retryAfterMs > 30_000)).toBe(true);
    const shared = await knowledge.get(key, RateBucketRecord);
    expect(shared?.value.tokens).toBeLessThan(1);
  });

  it("takes a few tokens per compare-and-set, and gives back what a lapsed lease left", async () => {
    const knowledge = await bucket();
    const clock = manualClock(1_750_000_000_000);
    const limiter = new SharedRateLimiter({
      knowledge,
      now: clock.now,
      lease: { maxTokens: 5, ttlMs: 10_000 },
    });
    const rate = { requestsPerMinute: 60, burst: 1_000 }; // 10 a lease's lifetime; capped at 5
    const key = KnowledgeKeys.callerRateLimit("support", "user@example.com");
    // A bucket that has been drawn down to 20 tokens.
    await knowledge.put(key, RateBucketRecord, {
      v: 1,
      tokens: 20,
      updatedAtMs: clock.now(),
      requestsPerMinute: 60,
      burst: 1_000,
    });

    expect(await limiter.take(key, rate)).toEqual({ admitted: true });
    expect((await knowledge.get(key, RateBucketRecord))?.value.tokens).toBe(15);
    const revision = (await knowledge.get(key, RateBucketRecord))?.revision;
    for (let i = 0; i < 4; i++) expect((await limiter.take(key, rate)).admitted).toBe(true);
    // Five requests, one write.
    expect((await knowledge.get(key, RateBucketRecord))?.revision).toBe(revision);
    expect(limiter.leased().get(key)).toBe(0);

    expect((await limiter.take(key, rate)).admitted).toBe(true); // a second lease: 10 left
    expect(limiter.leased().get(key)).toBe(4);
    clock.advance(10_001); // the lease lapses with 4 unused; the bucket refilled 10.001
    expect((await limiter.take(key, rate)).admitted).toBe(true); // 10 + 10.001 + 4 back − 5
    const tokens = (await knowledge.get(key, RateBucketRecord))?.value.tokens ?? 0;
    expect(tokens).toBeCloseTo(19.001, 6);
  });

  it("refuses with the time until the next token, without asking the bucket again meanwhile", async () => {
    const knowledge = await bucket();
    const clock = manualClock(1_750_000_000_000);
    const limiter = new SharedRateLimiter({ knowledge, now: clock.now });
    const rate = { requestsPerMinute: 60, burst: 1 };
    const key = KnowledgeKeys.agentRateLimit("tiny");

    expect(await limiter.take(key, rate)).toEqual({ admitted: true });
    expect(await limiter.take(key, rate)).toEqual({ admitted: false, retryAfterMs: 1_000 });
    clock.advance(400);
    expect(await limiter.take(key, rate)).toEqual({ admitted: false, retryAfterMs: 600 });
    clock.advance(600);
    expect(await limiter.take(key, rate)).toEqual({ admitted: true });
  });
});

describe("token budgets shared by two replicas", () => {
  it("sums every replica's charges exactly and refuses once the hour's total reaches the budget", async () => {
    const knowledge = await bucket();
    const hour = 1_750_000_000_000 - (1_750_000_000_000 % HOUR_MS);
    const clock = manualClock(hour + 3_000_000);
    const a = new SharedTokenBudget({ knowledge, now: clock.now, refreshMs: 0 });
    const b = new SharedTokenBudget({ knowledge, now: clock.now, refreshMs: 0 });

    for (let i = 0; i < 40; i++) {
      a.charge("support", 7);
      b.charge("support", 5);
    }
    await Promise.all([a.flush(), b.flush()]);
    const record = await knowledge.get(KnowledgeKeys.budget("support", hour), BudgetRecord);
    expect(record?.value).toMatchObject({ agent: "support", hourStartMs: hour, tokens: 480 });

    await expect(a.check("support", 481)).resolves.toBeUndefined();
    b.charge("support", 1);
    await b.flush();
    const refused = await a.check("support", 481).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(PatinoxError);
    expect(refused).toMatchObject({
      code: "budget_exhausted",
      retryAfterMs: 600_000,
      details: { agent: "support", budget: 481, spent: 481 },
    });

    // The next hour starts from nothing.
    clock.advance(600_000);
    await expect(a.check("support", 481)).resolves.toBeUndefined();
  });

  it("purges an agent's counters older than a day when an hour starts, and keeps the rest", async () => {
    const knowledge = await bucket();
    const first = 1_750_000_000_000 - (1_750_000_000_000 % HOUR_MS);
    const clock = manualClock(first);
    const budget = new SharedTokenBudget({ knowledge, now: clock.now, refreshMs: 0 });
    const other = new SharedTokenBudget({ knowledge, now: clock.now, refreshMs: 0 });
    // Counters for hours 0, 1 and 2 of "support", and hour 0 of another agent.
    for (let h = 0; h < 3; h++) {
      budget.charge("support", 10);
      if (h === 0) other.charge("billing", 10);
      await Promise.all([budget.flush(), other.flush()]);
      clock.advance(HOUR_MS);
    }
    const keys = () => knowledge.keys("budgets.>");
    expect(await keys()).toHaveLength(4);

    // A day and an hour after hour 0: "support"'s hour 0 is past the 24 hours kept.
    clock.advance((BUDGET_HOURS_KEPT - 2) * HOUR_MS);
    budget.charge("support", 1);
    await budget.flush();
    expect(await keys()).toEqual(
      [
        KnowledgeKeys.budget("billing", first), // another agent's: purged when it is charged
        KnowledgeKeys.budget("support", first + HOUR_MS),
        KnowledgeKeys.budget("support", first + 2 * HOUR_MS),
        KnowledgeKeys.budget("support", first + (BUDGET_HOURS_KEPT + 1) * HOUR_MS),
      ].sort(),
    );
    const history = await knowledge.history(KnowledgeKeys.budget("support", first), BudgetRecord);
    expect(history.filter((h) => h.kind === "put")).toEqual([]);
  });

  it("reads the shared total at most every refreshMs", async () => {
    const knowledge = await bucket();
    const clock = manualClock(1_750_000_000_000);
    const a = new SharedTokenBudget({ knowledge, now: clock.now, refreshMs: 1_000 });
    const b = new SharedTokenBudget({ knowledge, now: clock.now, refreshMs: 1_000 });
    await a.check("support", 100);
    b.charge("support", 100);
    await b.flush();
    await expect(a.check("support", 100)).resolves.toBeUndefined(); // still the old total
    clock.advance(1_001);
    await expect(a.check("support", 100)).rejects.toMatchObject({ code: "budget_exhausted" });
  });
});

describe("circuit breakers shared by two replicas", () => {
  const policy: BreakerPolicy = {
    failureRatio: 0.5,
    minimumRequests: 4,
    windowMs: 10_000,
    coolDownMs: 5_000,
    probeTimeoutMs: 20_000,
  };
  const target = { provider: "openai", model: "gpt-4.1-mini" };

  it("one replica trips it, the other sees it open; after the cool-down exactly one probes, and the probe closes it", async () => {
    const knowledge = await bucket();
    const clock = manualClock(1_750_000_000_000);
    const seen: { replica: string; transition: BreakerTransition }[] = [];
    const replica = (name: string) =>
      new CircuitBreakers({
        knowledge,
        policy,
        now: clock.now,
        instanceId: name,
        onStateChange: (transition) => seen.push({ replica: name, transition }),
      });
    const a = replica("a");
    const b = replica("b");
    const stop = new AbortController();
    const following = [a.follow(stop.signal), b.follow(stop.signal)];
    try {
      for (let i = 0; i < 4; i++) {
        const permit = await a.permit(target);
        expect(permit).toEqual({ allowed: true, target, probe: false });
        await a.record(permit, i === 0 ? "success" : "failure");
      }
      expect(a.state(target)).toBe("open");
      expect(seen).toEqual([
        {
          replica: "a",
          transition: {
            ...target,
            state: "open",
            previous: "closed",
            failureRatio: 0.75,
            requests: 4,
          },
        },
      ]);
      await eventually(() => b.state(target) === "open", "b to see the breaker open");
      expect(await b.permit(target)).toEqual({
        allowed: false,
        target,
        state: "open",
        retryAfterMs: 5_000,
      });

      clock.advance(5_000);
      const permits = await Promise.all([a.permit(target), b.permit(target)]);
      const probes = permits.filter((p) => p.allowed);
      expect(probes).toHaveLength(1);
      expect(probes[0]).toMatchObject({ probe: true });
      expect(permits.find((p) => !p.allowed)).toMatchObject({ state: "half_open" });

      const prober = permits[0]?.allowed ? a : b;
      await prober.record(probes[0] as (typeof permits)[number], "success");
      await eventually(
        () => a.state(target) === "closed" && b.state(target) === "closed",
        "both to see it closed",
      );
      expect(seen.map((s) => [s.transition.previous, s.transition.state])).toEqual([
        ["closed", "open"],
        ["open", "half_open"],
        ["half_open", "closed"],
      ]);
      expect(await b.permit(target)).toMatchObject({ allowed: true, probe: false });
    } finally {
      stop.abort();
      await Promise.all(following);
    }
  });

  it("a failed probe opens it for another cool-down; a neutral one lets the next call probe", async () => {
    const knowledge = await bucket();
    const clock = manualClock(1_750_000_000_000);
    const a = new CircuitBreakers({ knowledge, policy, now: clock.now, instanceId: "a" });
    for (let i = 0; i < 4; i++) await a.record(await a.permit(target), "failure");
    clock.advance(5_000);
    const probe = await a.permit(target);
    expect(probe).toMatchObject({ allowed: true, probe: true });
    await a.record(probe, "failure");
    expect(await a.permit(target)).toMatchObject({
      allowed: false,
      state: "open",
      retryAfterMs: 5_000,
    });

    clock.advance(5_000);
    const second = await a.permit(target);
    await a.record(second, "neutral");
    expect(a.state(target)).toBe("open");
    expect(await a.permit(target)).toMatchObject({ allowed: true, probe: true });
  });
});
