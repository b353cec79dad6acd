import { setImmediate } from "node:timers/promises";
import { describe, expect, test } from "vitest";
import { ActorStopped, createSupervisor, MailboxFull, OverflowPolicy } from "./index.js";
import { deferred } from "./test-support/deferred.js";

/**
 * An actor that records each message, holds the first one until `release` is called, and
 * resolves `done` once it has received `expected` messages.
 */
function gatedRecorder(options: { capacity: number; overflow?: OverflowPolicy; expected: number }) {
  const received: number[] = [];
  const firstStarted = deferred();
  const release = deferred();
  const done = deferred();
  return {
    received,
    firstStarted: firstStarted.promise,
    release: () => release.resolve(),
    done: done.promise,
    definition: {
      name: "recorder",
      mailbox: { capacity: options.capacity, overflow: options.overflow ?? OverflowPolicy.Reject },
      start: () => ({
        async receive(message: number) {
          if (received.length === 0) {
            firstStarted.resolve();
            await release.promise;
          }
          received.push(message);
          if (received.length === options.expected) done.resolve();
        },
      }),
    },
  };
}

describe("actor", () => {
  test("receives one message at a time, in order", async () => {
    await using supervisor = createSupervisor({ name: "root" });
    const seen: number[] = [];
    const done = deferred();
    let active = 0;
    let maxActive = 0;
    const ref = await supervisor.spawn<number>({
      name: "worker",
      start: () => ({
        async receive(n) {
          active++;
          maxActive = Math.max(maxActive, active);
          await setImmediate();
          seen.push(n);
          active--;
          if (n === 9) done.resolve();
        },
      }),
    });

    for (let n = 0; n < 10; n++) ref.tell(n);
    await done.promise;

    expect(maxActive).toBe(1);
    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  test("the context names the actor by its path from the root", async () => {
    await using root = createSupervisor({ name: "execute" });
    const child = createSupervisor({ name: "root" });
    root.supervise(child);
    const paths: string[] = [];
    const ref = await child.spawn<never>({
      name: "placeholder",
      start: (ctx) => {
        paths.push(ctx.path, ctx.self.path);
        return { receive() {} };
      },
    });

    expect(paths).toEqual(["execute/root/placeholder", "execute/root/placeholder"]);
    expect(ref.path).toBe("execute/root/placeholder");
    expect(ref.name).toBe("placeholder");
  });

  test("a full mailbox makes tell throw MailboxFull under the reject policy", async () => {
    await using supervisor = createSupervisor({ name: "root" });
    const actor = gatedRecorder({ capacity: 2, expected: 3 });
    const ref = await supervisor.spawn(actor.definition);

    ref.tell(1);
    await actor.firstStarted;
    ref.tell(2);
    ref.tell(3);
    expect(ref.mailboxSize).toBe(2);

    let error: unknown;
    try {
      ref.tell(4);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(MailboxFull);
    expect(error).toMatchObject({ code: "MAILBOX_FULL", actor: "root/recorder", capacity: 2 });

    actor.release();
    await actor.done;
    expect(actor.received).toEqual([1, 2, 3]);
  });

  test("send waits for space under the wait policy, and tell queues behind it", async () => {
    await using supervisor = createSupervisor({ name: "root" });
    const actor = gatedRecorder({ capacity: 1, overflow: OverflowPolicy.Wait, expected: 4 });
    const ref = await supervisor.spawn(actor.definition);

    ref.tell(1);
    await actor.firstStarted;
    ref.tell(2);
    let accepted = false;
    const sent = ref.send(3).then(() => {
      accepted = true;
    });
    ref.tell(4); // does not throw: under `wait` it queues behind the waiting send
    await setImmediate();
    expect(accepted).toBe(false);
    expect(ref.mailboxSize).toBe(1);

    actor.release();
    await sent;
    await actor.done;
    expect(actor.received).toEqual([1, 2, 3, 4]);
  });

  test("send waits for space under the reject policy too", async () => {
    await using supervisor = createSupervisor({ name: "root" });
    const actor = gatedRecorder({ capacity: 1, expected: 3 });
    const ref = await supervisor.spawn(actor.definition);

    ref.tell(1);
    await actor.firstStarted;
    ref.tell(2);
    const sent = ref.send(3);
    expect(() => ref.tell(4)).toThrow(MailboxFull);

    actor.release();
    await sent;
    await actor.done;
    expect(actor.received).toEqual([1, 2, 3]);
  });

  test("a stopped actor refuses messages and waiting senders with ActorStopped", async () => {
    const supervisor = createSupervisor({ name: "root" });
    const actor = gatedRecorder({ capacity: 1, overflow: OverflowPolicy.Wait, expected: 1 });
    const ref = await supervisor.spawn(actor.definition);
    ref.tell(1);
    await actor.firstStarted;
    ref.tell(2);
    const waiting = ref.send(3);

    const stopped = supervisor.stop();
    await expect(waiting).rejects.toBeInstanceOf(ActorStopped);
    actor.release();
    await stopped;

    expect(actor.received).toEqual([1]);
    expect(() => ref.tell(4)).toThrow(ActorStopped);
    await expect(ref.send(5)).rejects.toMatchObject({
      code: "ACTOR_STOPPED",
      actor: "root/recorder",
    });
  });

  test("a mailbox capacity that is not a positive integer is refused", async () => {
    await using supervisor = createSupervisor({ name: "root" });
    await expect(
      supervisor.spawn({ name: "x", mailbox: { capacity: 0 }, start: () => ({ receive() {} }) }),
    ).rejects.toBeInstanceOf(RangeError);
  });
});
