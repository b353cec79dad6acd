import { setImmediate } from "node:timers/promises";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { createSupervisor } from "./index.js";
import { deferred } from "./test-support/deferred.js";
import { InstantClock } from "./test-support/instant-clock.js";

interface Step {
  /** Whether receiving this message crashes the actor. */
  readonly crash: boolean;
  /** Whether `receive` awaits before acting, so crashes and restarts interleave with tells. */
  readonly async: boolean;
  /** Whether the test yields to the event loop after telling this message. */
  readonly pause: boolean;
}

const step: fc.Arbitrary<Step> = fc.record({
  crash: fc.boolean(),
  async: fc.boolean(),
  pause: fc.boolean(),
});

const strategy = fc.constantFrom("one-for-one" as const, "one-for-all" as const);

describe("supervised actor", () => {
  test("receives every message that does not crash it exactly once, in order", async () => {
    await fc.assert(
      fc.asyncProperty(strategy, fc.array(step, { maxLength: 30 }), async (strategy, steps) => {
        await using supervisor = createSupervisor({
          name: "root",
          strategy,
          clock: new InstantClock(),
          intensity: { maxRestarts: Number.POSITIVE_INFINITY, withinMs: 1_000 },
          backoff: { initialMs: 0, maxMs: 0 },
        });
        const received: number[] = [];
        const finished = deferred();
        let active = 0;
        let overlapped = false;
        const ref = await supervisor.spawn<number>({
          name: "worker",
          start: () => ({
            async receive(index) {
              if (index === steps.length) return finished.resolve();
              const current = steps[index];
              active++;
              overlapped ||= active > 1;
              try {
                if (current?.async) await setImmediate();
                if (current?.crash) throw new Error(`crash at ${index}`);
                received.push(index);
              } finally {
                active--;
              }
            },
          }),
        });

        for (const [index, { pause }] of steps.entries()) {
          ref.tell(index);
          if (pause) await setImmediate();
        }
        ref.tell(steps.length);
        await finished.promise;

        const expected = steps.flatMap(({ crash }, index) => (crash ? [] : [index]));
        expect(received).toEqual(expected);
        expect(overlapped).toBe(false);
      }),
      { numRuns: 200 },
    );
  });
});
