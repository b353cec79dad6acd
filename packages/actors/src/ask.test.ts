import { describe, expect, test } from "vitest";
import { ActorStopped, AskTimeout, ask, createSupervisor, MailboxFull } from "./index.js";
import { deferred } from "./test-support/deferred.js";
import { InstantClock } from "./test-support/instant-clock.js";

type Request =
  | { readonly type: "double"; readonly n: number; readonly reply: (n: number) => void }
  | { readonly type: "refuse"; readonly fail: (error: unknown) => void }
  | { readonly type: "ignore" };

const calculator = {
  name: "calculator",
  start: () => ({
    receive(request: Request) {
      if (request.type === "double") request.reply(request.n * 2);
      else if (request.type === "refuse") request.fail(new Error("refused"));
    },
  }),
};

describe("ask", () => {
  test("resolves with the actor's reply", async () => {
    await using supervisor = createSupervisor({ name: "root" });
    const ref = await supervisor.spawn(calculator);

    const answer = await ask<Request, number>(ref, (reply) => ({ type: "double", n: 21, reply }));

    expect(answer).toBe(42);
  });

  test("rejects with the error the actor fails it with", async () => {
    await using supervisor = createSupervisor({ name: "root" });
    const ref = await supervisor.spawn(calculator);

    const answer = ask<Request, number>(ref, (_reply, fail) => ({ type: "refuse", fail }));

    await expect(answer).rejects.toThrow("refused");
  });

  test("rejects with AskTimeout when no reply comes in time", async () => {
    await using supervisor = createSupervisor({ name: "root" });
    const ref = await supervisor.spawn(calculator);
    const clock = new InstantClock();

    const answer = ask<Request, number>(ref, () => ({ type: "ignore" }), {
      timeoutMs: 250,
      clock,
    });

    await expect(answer).rejects.toBeInstanceOf(AskTimeout);
    await expect(answer).rejects.toMatchObject({
      code: "ASK_TIMEOUT",
      actor: "root/calculator",
      timeoutMs: 250,
    });
    expect(clock.sleeps).toEqual([250]);
  });

  test("rejects at once with MailboxFull when the mailbox is full", async () => {
    await using supervisor = createSupervisor({ name: "root" });
    const started = deferred();
    const busy = deferred();
    const ref = await supervisor.spawn<Request>({
      name: "busy",
      mailbox: { capacity: 1 },
      start: () => ({
        receive() {
          started.resolve();
          return busy.promise;
        },
      }),
    });
    ref.tell({ type: "ignore" });
    await started.promise;
    ref.tell({ type: "ignore" });

    const answer = ask<Request, number>(ref, (reply) => ({ type: "double", n: 1, reply }));

    await expect(answer).rejects.toBeInstanceOf(MailboxFull);
    busy.resolve();
  });

  test("rejects with the abort reason when the signal aborts", async () => {
    await using supervisor = createSupervisor({ name: "root" });
    const ref = await supervisor.spawn(calculator);
    const controller = new AbortController();

    const answer = ask<Request, number>(ref, () => ({ type: "ignore" }), {
      signal: controller.signal,
    });
    controller.abort(new Error("client went away"));

    await expect(answer).rejects.toThrow("client went away");
  });

  test("rejects with ActorStopped when the actor is stopped", async () => {
    const supervisor = createSupervisor({ name: "root" });
    const ref = await supervisor.spawn(calculator);
    await supervisor.stop();

    const answer = ask<Request, number>(ref, (reply) => ({ type: "double", n: 1, reply }));

    await expect(answer).rejects.toBeInstanceOf(ActorStopped);
  });
});
