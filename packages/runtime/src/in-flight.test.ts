import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { InFlight } from "./in-flight.ts";
import { deferred } from "./test-support/deferred.ts";

describe("InFlight", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("counts work from start to finish and passes its result on", async () => {
    const inFlight = new InFlight();
    const first = deferred<string>();
    const second = deferred<string>();

    const a = inFlight.track(() => first.promise);
    const b = inFlight.track(() => second.promise);
    const counted = inFlight.count;
    first.resolve("one");
    const resultA = await a;
    const afterFirst = inFlight.count;
    second.resolve("two");

    expect([counted, afterFirst]).toEqual([2, 1]);
    expect([resultA, await b]).toEqual(["one", "two"]);
    expect(inFlight.count).toBe(0);
  });

  it("stops counting work that fails, and passes the failure on", async () => {
    const inFlight = new InFlight();

    await expect(
      inFlight.track(async () => {
        throw new Error("handler broke");
      }),
    ).rejects.toThrow("handler broke");
    expect(inFlight.count).toBe(0);
  });

  it("is idle at once when nothing is in flight", async () => {
    await expect(new InFlight().idle(0)).resolves.toBe(true);
  });

  it("resolves idle with true when the last work finishes, before the timeout", async () => {
    const inFlight = new InFlight();
    const work = deferred();
    const tracked = inFlight.track(() => work.promise);
    let outcome: boolean | undefined;
    const waiting = inFlight.idle(10_000).then((idle) => {
      outcome = idle;
    });

    await vi.advanceTimersByTimeAsync(9_000);
    const beforeFinish = outcome;
    work.resolve();
    await tracked;
    await waiting;

    expect(beforeFinish).toBeUndefined();
    expect(outcome).toBe(true);
  });

  it("wakes every waiter, including one whose work failed", async () => {
    const inFlight = new InFlight();
    const work = deferred();
    const tracked = inFlight
      .track(async () => {
        await work.promise;
        throw new Error("failed late");
      })
      .catch(() => undefined);
    const waiters = [inFlight.idle(5_000), inFlight.idle(5_000), inFlight.idle(5_000)];

    work.resolve();
    await tracked;

    expect(await Promise.all(waiters)).toEqual([true, true, true]);
  });

  it("resolves idle with false when the timeout passes first", async () => {
    const inFlight = new InFlight();
    const work = deferred();
    void inFlight.track(() => work.promise);

    const waiting = inFlight.idle(1_000);
    await vi.advanceTimersByTimeAsync(1_000);

    expect(await waiting).toBe(false);
    expect(inFlight.count).toBe(1);
    work.resolve();
  });

  it("is not idle while any of several works remains", async () => {
    const inFlight = new InFlight();
    const quick = deferred();
    const slow = deferred();
    void inFlight.track(() => quick.promise);
    void inFlight.track(() => slow.promise);

    const waiting = inFlight.idle(1_000);
    quick.resolve();
    await vi.advanceTimersByTimeAsync(1_000);

    expect(await waiting).toBe(false);
    slow.resolve();
  });
});
