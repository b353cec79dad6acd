import { PatinoxError } from "@patinox/contracts";
import { describe, expect, it } from "vitest";
import { ConcurrencyGate } from "./concurrency-gate.ts";

const never = new AbortController().signal;

describe("ConcurrencyGate", () => {
  it("admits up to maxConcurrency, queues up to maxQueue in order, and refuses the rest as overloaded", async () => {
    let now = 0;
    const gate = new ConcurrencyGate("support", () => now);
    const limits = { maxConcurrency: 2, maxQueue: 1 };
    const first = await gate.enter(limits, never);
    await gate.enter(limits, never);
    const queued = gate.enter(limits, never);
    expect([gate.running, gate.queued]).toEqual([2, 1]);

    const refused = await gate.enter(limits, never).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(PatinoxError);
    expect(refused).toMatchObject({ code: "overloaded", retryAfterMs: 1_000 });

    now = 400;
    first();
    first(); // a second release changes nothing
    await queued;
    expect([gate.running, gate.queued]).toEqual([2, 0]);
  });

  it("estimates retryAfterMs from how long runs took", async () => {
    let now = 0;
    const gate = new ConcurrencyGate("support", () => now);
    const limits = { maxConcurrency: 1, maxQueue: 0 };
    const release = await gate.enter(limits, never);
    now = 2_000;
    release();
    await gate.enter(limits, never);
    const refused = (await gate.enter(limits, never).catch((e: unknown) => e)) as PatinoxError;
    expect(refused.retryAfterMs).toBe(2_000);
  });

  it("a waiting run whose signal aborts leaves the queue with the signal's reason", async () => {
    const gate = new ConcurrencyGate("support");
    const limits = { maxConcurrency: 1, maxQueue: 1 };
    const release = await gate.enter(limits, never);
    const abort = new AbortController();
    const waiting = gate.enter(limits, abort.signal);
    const reason = new PatinoxError("deadline_exceeded", "too late");
    abort.abort(reason);

    await expect(waiting).rejects.toBe(reason);
    expect(gate.queued).toBe(0);
    release();
    expect(gate.running).toBe(0);
  });
});
