import { describe, expect, test } from "vitest";
import {
  type ActorRef,
  ActorStopped,
  createSupervisor,
  type SupervisionStatus,
  type SupervisorEvent,
  SupervisorGaveUp,
} from "./index.js";
import { add, type CounterMessage, counter, countOf } from "./test-support/counter.js";
import { deferred } from "./test-support/deferred.js";
import { EventLog } from "./test-support/event-log.js";
import { InstantClock } from "./test-support/instant-clock.js";

const crash = (message = "boom"): CounterMessage => ({ type: "crash", error: new Error(message) });

function restarts(events: readonly SupervisorEvent[]): [attempt: number, delayMs: number][] {
  return events.flatMap((event) =>
    event.type === "child-restarting" ? [[event.attempt, event.delayMs] as [number, number]] : [],
  );
}

describe("one-for-one", () => {
  test("restarts only the crashed child; its siblings keep their state", async () => {
    const events = new EventLog();
    await using supervisor = createSupervisor({
      name: "root",
      clock: new InstantClock(),
      onEvent: events.record,
    });
    const journal: string[] = [];
    const a = await supervisor.spawn(counter("a", journal));
    const b = await supervisor.spawn(counter("b", journal));
    add(a, 2);
    add(b, 3);

    a.tell(crash());
    await events.waitFor("child-started", { child: "root/a", count: 2 });

    expect(await countOf(a)).toBe(0);
    expect(await countOf(b)).toBe(3);
    expect(journal).toEqual(["start a", "start b", "stop a", "start a"]);
    expect(events.summary()).toEqual([
      "child-started root/a",
      "child-started root/b",
      "child-failed root/a",
      "child-stopped root/a",
      "child-restarting root/a",
      "child-started root/a",
    ]);
  });

  test("stats, status and isRunning reflect a restart", async () => {
    const events = new EventLog();
    let during: { status: SupervisionStatus; running: boolean } | undefined;
    await using supervisor = createSupervisor({
      name: "root",
      clock: new InstantClock(),
      onEvent: (event) => {
        events.record(event);
        if (event.type === "child-restarting") {
          during = { status: supervisor.status(), running: supervisor.isRunning() };
        }
      },
    });
    const a = await supervisor.spawn(counter("a"));
    await supervisor.spawn(counter("b"));

    a.tell(crash());
    await events.waitFor("child-started", { child: "root/a", count: 2 });

    expect(during?.running).toBe(false);
    expect(during?.status.children?.map((child) => child.state)).toEqual(["restarting", "running"]);
    expect(supervisor.isRunning()).toBe(true);
    expect(supervisor.stats()).toEqual({ failures: 1, restarts: 1, gaveUp: 0 });
    expect(supervisor.status()).toEqual({
      name: "root",
      kind: "supervisor",
      state: "running",
      restarts: 0,
      children: [
        { name: "a", kind: "actor", state: "running", restarts: 1 },
        { name: "b", kind: "actor", state: "running", restarts: 0 },
      ],
    });
  });

  test("the mailbox survives a restart and the failing message is dropped", async () => {
    const events = new EventLog();
    const received: string[] = [];
    const done = deferred();
    let ref: ActorRef<string> | undefined;
    await using supervisor = createSupervisor({
      name: "root",
      clock: new InstantClock(),
      onEvent: (event) => {
        events.record(event);
        if (event.type === "child-restarting") ref?.tell("told while restarting");
      },
    });
    let incarnations = 0;
    ref = await supervisor.spawn<string>({
      name: "worker",
      start: () => {
        const incarnation = ++incarnations;
        return {
          receive(message) {
            if (message === "poison") throw new Error("poison");
            received.push(`${incarnation}: ${message}`);
            if (message === "told while restarting") done.resolve();
          },
        };
      },
    });

    ref.tell("first");
    ref.tell("poison");
    ref.tell("second");
    ref.tell("third");
    await done.promise;

    expect(received).toEqual(["1: first", "2: second", "2: third", "2: told while restarting"]);
  });

  test("a restart that fails to start counts as one more failure", async () => {
    const events = new EventLog();
    await using supervisor = createSupervisor({
      name: "root",
      clock: new InstantClock(),
      random: () => 0,
      onEvent: events.record,
    });
    let starts = 0;
    const ref = await supervisor.spawn<CounterMessage>({
      name: "fragile",
      start: (ctx) => {
        if (++starts === 2) throw new Error("cannot start");
        return counter("fragile").start(ctx);
      },
    });

    ref.tell(crash());
    await events.waitFor("child-started", { count: 2 });

    expect(starts).toBe(3);
    expect(restarts(events.events)).toEqual([
      [1, 100],
      [2, 200],
    ]);
    expect(supervisor.stats()).toEqual({ failures: 2, restarts: 2, gaveUp: 0 });
  });

  test("spawn rejects and supervises nothing when the actor cannot start", async () => {
    await using supervisor = createSupervisor({ name: "root" });

    const spawned = supervisor.spawn({
      name: "broken",
      start: () => {
        throw new Error("no config");
      },
    });

    await expect(spawned).rejects.toThrow("no config");
    expect(supervisor.status().children).toEqual([]);
  });
});

describe("one-for-all", () => {
  test("restarts every child, stopping in reverse order and starting in order", async () => {
    const events = new EventLog();
    await using supervisor = createSupervisor({
      name: "root",
      strategy: "one-for-all",
      clock: new InstantClock(),
      random: () => 0,
      onEvent: events.record,
    });
    const journal: string[] = [];
    const a = await supervisor.spawn(counter("a", journal));
    const b = await supervisor.spawn(counter("b", journal));
    const c = await supervisor.spawn(counter("c", journal));
    add(a, 1);
    add(b, 2);
    add(c, 3);

    b.tell(crash());
    await events.waitFor("child-started", { child: "root/c", count: 2 });

    expect([await countOf(a), await countOf(b), await countOf(c)]).toEqual([0, 0, 0]);
    expect(journal.slice(3)).toEqual([
      "stop b", // its hook runs as soon as it crashes
      "stop c",
      "stop a",
      "start a",
      "start b",
      "start c",
    ]);
    expect(restarts(events.events)).toEqual([
      [1, 100],
      [1, 100],
      [1, 100],
    ]);
    expect(supervisor.stats()).toEqual({ failures: 1, restarts: 1, gaveUp: 0 });
    expect(supervisor.status().children?.map((child) => child.restarts)).toEqual([1, 1, 1]);
  });
});

describe("backoff", () => {
  test("delays grow exponentially up to the maximum, with jitter from the injected random", async () => {
    const events = new EventLog();
    const clock = new InstantClock();
    const randoms = [0, 0.5, 0.999, 0.25, 0, 0.999];
    await using supervisor = createSupervisor({
      name: "root",
      clock,
      random: () => randoms.shift() ?? 0,
      intensity: { maxRestarts: 10, withinMs: 60_000 },
      backoff: { initialMs: 100, maxMs: 1_000, factor: 2, jitter: 0.2 },
      onEvent: events.record,
    });
    const ref = await supervisor.spawn(counter("flaky"));

    for (let i = 0; i < 6; i++) ref.tell(crash());
    await events.waitFor("child-started", { count: 7 });

    const bases = [100, 200, 400, 800, 1_000, 1_000];
    const observed = restarts(events.events);
    expect(observed.map(([attempt]) => attempt)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(observed.map(([, delayMs]) => delayMs)).toEqual([100, 180, 320, 760, 1_000, 800]);
    for (const [index, [, delayMs]] of observed.entries()) {
      const base = bases[index] ?? Number.NaN;
      expect(delayMs).toBeGreaterThanOrEqual(base * 0.8);
      expect(delayMs).toBeLessThanOrEqual(base);
    }
    expect(clock.sleeps).toEqual(observed.map(([, delayMs]) => delayMs));
  });

  test("starts again from the initial delay once the child was stable for the window", async () => {
    const events = new EventLog();
    const clock = new InstantClock();
    await using supervisor = createSupervisor({
      name: "root",
      clock,
      intensity: { maxRestarts: 10, withinMs: 1_000 },
      backoff: { initialMs: 100, maxMs: 10_000, jitter: 0 },
      onEvent: events.record,
    });
    const ref = await supervisor.spawn(counter("flaky"));

    ref.tell(crash());
    ref.tell(crash());
    await events.waitFor("child-started", { count: 3 });
    clock.advance(1_001);
    ref.tell(crash());
    await events.waitFor("child-started", { count: 4 });

    expect(restarts(events.events)).toEqual([
      [1, 100],
      [2, 200],
      [1, 100],
    ]);
  });
});

describe("restart intensity", () => {
  test("a root that exceeds it stops its children and calls onGiveUp", async () => {
    const events = new EventLog();
    const gaveUp = deferred<SupervisorGaveUp>();
    const supervisor = createSupervisor({
      name: "root",
      clock: new InstantClock(),
      intensity: { maxRestarts: 1, withinMs: 10_000 },
      onEvent: events.record,
      onGiveUp: gaveUp.resolve,
    });
    const journal: string[] = [];
    const steady = await supervisor.spawn(counter("steady", journal));
    const flaky = await supervisor.spawn(counter("flaky"));

    flaky.tell(crash("first"));
    flaky.tell(crash("second"));
    const error = await gaveUp.promise;

    expect(error).toBeInstanceOf(SupervisorGaveUp);
    expect(error).toMatchObject({
      code: "SUPERVISOR_GAVE_UP",
      supervisor: "root",
      restarts: 1,
      withinMs: 10_000,
    });
    expect(error.cause).toMatchObject({ message: "second" });
    expect(journal).toEqual(["start steady", "stop steady"]);
    expect(() => steady.tell({ type: "add" })).toThrow(ActorStopped);
    expect(supervisor.stats()).toEqual({ failures: 2, restarts: 1, gaveUp: 1 });
    expect(supervisor.isRunning()).toBe(false);
    expect(supervisor.status()).toMatchObject({
      state: "failed",
      children: [{ state: "stopped" }, { state: "stopped" }],
    });
    expect(events.summary()).toContain("gave-up root");
  });

  test("restarts older than the window no longer count", async () => {
    const gaveUp: SupervisorGaveUp[] = [];
    const events = new EventLog();
    const clock = new InstantClock();
    await using supervisor = createSupervisor({
      name: "root",
      clock,
      intensity: { maxRestarts: 2, withinMs: 1_000 },
      onEvent: events.record,
      onGiveUp: (error) => gaveUp.push(error),
    });
    const ref = await supervisor.spawn(counter("flaky"));

    ref.tell(crash());
    ref.tell(crash());
    await events.waitFor("child-started", { count: 3 });
    clock.advance(1_000);
    ref.tell(crash());
    ref.tell(crash());
    await events.waitFor("child-started", { count: 5 });

    expect(gaveUp).toEqual([]);
    expect(supervisor.stats()).toEqual({ failures: 4, restarts: 4, gaveUp: 0 });
  });

  test("a child supervisor that exceeds it escalates, and the parent restarts it fresh", async () => {
    const clock = new InstantClock();
    const rootEvents = new EventLog();
    const childEvents = new EventLog();
    await using root = createSupervisor({ name: "root", clock, onEvent: rootEvents.record });
    const workers = createSupervisor({
      name: "workers",
      clock,
      intensity: { maxRestarts: 2, withinMs: 10_000 },
      onEvent: childEvents.record,
    });
    root.supervise(workers);
    const journal: string[] = [];
    const steady = await workers.spawn(counter("steady", journal));
    const flaky = await workers.spawn(counter("flaky", journal));
    add(steady, 5);

    flaky.tell(crash("1"));
    flaky.tell(crash("2"));
    flaky.tell(crash("3"));
    await rootEvents.waitFor("child-started", { child: "root/workers", count: 2 });

    expect(await countOf(steady)).toBe(0);
    expect(await countOf(flaky)).toBe(0);
    expect(journal.slice(-4)).toEqual(["stop flaky", "stop steady", "start steady", "start flaky"]);
    expect(childEvents.summary()).toContain("gave-up root/workers");
    expect(rootEvents.summary()).toEqual([
      "child-started root/workers",
      "child-failed root/workers",
      "child-restarting root/workers",
      "child-started root/workers",
    ]);
    const failure = rootEvents.events.find((event) => event.type === "child-failed");
    expect(failure).toMatchObject({
      error: { code: "SUPERVISOR_GAVE_UP", supervisor: "root/workers", cause: { message: "3" } },
    });
    expect(workers.stats()).toEqual({ failures: 3, restarts: 2, gaveUp: 1 });
    expect(root.stats()).toEqual({ failures: 1, restarts: 1, gaveUp: 0 });
    expect(root.isRunning()).toBe(true);
    expect(root.status()).toEqual({
      name: "root",
      kind: "supervisor",
      state: "running",
      restarts: 0,
      children: [
        {
          name: "workers",
          kind: "supervisor",
          state: "running",
          restarts: 1,
          children: [
            { name: "steady", kind: "actor", state: "running", restarts: 0 },
            { name: "flaky", kind: "actor", state: "running", restarts: 2 },
          ],
        },
      ],
    });
  });

  test("escalation that exhausts the root's budget reaches onGiveUp", async () => {
    const clock = new InstantClock();
    const gaveUp = deferred<SupervisorGaveUp>();
    const root = createSupervisor({
      name: "root",
      clock,
      intensity: { maxRestarts: 0, withinMs: 10_000 },
      onGiveUp: gaveUp.resolve,
    });
    const workers = createSupervisor({
      name: "workers",
      clock,
      intensity: { maxRestarts: 0, withinMs: 10_000 },
    });
    root.supervise(workers);
    const flaky = await workers.spawn(counter("flaky"));

    flaky.tell(crash("root cause"));
    const error = await gaveUp.promise;

    expect(error).toMatchObject({
      supervisor: "root",
      cause: {
        name: "SupervisorGaveUp",
        supervisor: "root/workers",
        cause: { message: "root cause" },
      },
    });
    expect(root.status()).toMatchObject({
      state: "failed",
      children: [{ state: "failed", children: [{ state: "stopped" }] }],
    });
    expect(() => flaky.tell({ type: "add" })).toThrow(ActorStopped);
  });
});

describe("stop", () => {
  test("lets the message in flight finish and runs stop hooks in reverse start order", async () => {
    const events = new EventLog();
    const supervisor = createSupervisor({ name: "root", onEvent: events.record });
    const journal: string[] = [];
    const started = deferred();
    const release = deferred();
    const slow = await supervisor.spawn<string>({
      name: "slow",
      start: (ctx) => ({
        async receive(message) {
          journal.push(`slow got ${message}`);
          started.resolve();
          await release.promise;
          journal.push(`slow finished ${message}, aborted: ${ctx.signal.aborted}`);
        },
        stop: () => {
          journal.push("stop slow");
        },
      }),
    });
    await supervisor.spawn(counter("b", journal));
    await supervisor.spawn(counter("c", journal));
    slow.tell("in flight");
    slow.tell("queued");
    await started.promise;

    const stopped = supervisor.stop();
    await events.waitFor("child-stopped", { child: "root/b" });
    release.resolve();
    await stopped;
    await supervisor.stop();

    expect(journal).toEqual([
      "start b",
      "start c",
      "slow got in flight",
      "stop c",
      "stop b",
      "slow finished in flight, aborted: true",
      "stop slow",
    ]);
    expect(() => slow.tell("late")).toThrow(ActorStopped);
    expect(events.summary().filter((line) => line.startsWith("child-stopped"))).toEqual([
      "child-stopped root/c",
      "child-stopped root/b",
      "child-stopped root/slow",
    ]);
    expect(supervisor.status()).toMatchObject({
      state: "stopped",
      children: [{ state: "stopped" }, { state: "stopped" }, { state: "stopped" }],
    });
    await expect(supervisor.spawn(counter("d"))).rejects.toBeInstanceOf(ActorStopped);
  });

  test("cancels a restart waiting out its backoff", async () => {
    const events = new EventLog();
    const journal: string[] = [];
    // A clock whose sleeps only end by being aborted: the backoff is still pending at stop.
    const clock = {
      now: () => 0,
      sleep: (_ms: number, signal?: AbortSignal) =>
        new Promise<void>((_resolve, reject) =>
          signal?.addEventListener("abort", () => reject(signal.reason)),
        ),
    };
    const supervisor = createSupervisor({ name: "root", clock, onEvent: events.record });
    const ref = await supervisor.spawn(counter("flaky", journal));
    ref.tell(crash());
    await events.waitFor("child-restarting");

    await supervisor.stop();

    expect(journal).toEqual(["start flaky", "stop flaky"]);
    expect(supervisor.status().children).toEqual([
      { name: "flaky", kind: "actor", state: "stopped", restarts: 0 },
    ]);
    expect(() => ref.tell({ type: "add" })).toThrow(ActorStopped);
  });

  test("a failing stop hook is reported on the child-stopped event", async () => {
    const events = new EventLog();
    const supervisor = createSupervisor({ name: "root", onEvent: events.record });
    await supervisor.spawn<never>({
      name: "leaky",
      start: () => ({
        receive() {},
        stop() {
          throw new Error("could not close");
        },
      }),
    });

    await supervisor.stop();

    expect(events.events).toEqual([
      { type: "child-started", supervisor: "root", child: "root/leaky" },
      {
        type: "child-stopped",
        supervisor: "root",
        child: "root/leaky",
        error: new Error("could not close"),
      },
    ]);
  });

  test("an onEvent that throws does not break supervision", async () => {
    await using supervisor = createSupervisor({
      name: "root",
      clock: new InstantClock(),
      onEvent: () => {
        throw new Error("telemetry down");
      },
    });
    const ref = await supervisor.spawn(counter("a"));
    add(ref, 1);

    ref.tell(crash());

    expect(await countOf(ref)).toBe(0);
    expect(supervisor.stats()).toEqual({ failures: 1, restarts: 1, gaveUp: 0 });
  });
});
