import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { RollingWindow } from "./rolling-window.ts";

describe("rolling window", () => {
  it("counts calls and failures, and forgets them as they age out slot by slot", () => {
    const window = new RollingWindow(10_000, 10);
    window.record(false, 0);
    window.record(true, 500);
    window.record(false, 4_200);
    expect(window.counts(4_500)).toEqual({ requests: 3, failures: 2 });
    // At 10 000 the slot [0, 1000) has left the window; [4000, 5000) is still in it.
    expect(window.counts(10_000)).toEqual({ requests: 1, failures: 1 });
    expect(window.counts(13_999)).toEqual({ requests: 1, failures: 1 });
    expect(window.counts(14_000)).toEqual({ requests: 0, failures: 0 });
  });

  it("reuses a slot for a new period without mixing in the old one's counts", () => {
    // Two slots of 500 ms: the call at 0 and the one at 1 000 fall in the same slot of the ring.
    const window = new RollingWindow(1_000, 2);
    window.record(false, 0);
    window.record(true, 600);
    expect(window.counts(600)).toEqual({ requests: 2, failures: 1 });
    window.record(true, 1_100);
    expect(window.counts(1_100)).toEqual({ requests: 2, failures: 0 });
  });

  it("reset forgets everything", () => {
    const window = new RollingWindow(1_000);
    window.record(false, 10);
    window.reset();
    expect(window.counts(20)).toEqual({ requests: 0, failures: 0 });
  });

  it("agrees with a plain list of the calls of the last whole slots", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ gap: fc.integer({ min: 0, max: 3_000 }), ok: fc.boolean() }), {
          maxLength: 100,
        }),
        (calls) => {
          const window = new RollingWindow(10_000, 10);
          const seen: { at: number; ok: boolean }[] = [];
          let now = 0;
          for (const { gap, ok } of calls) {
            now += gap;
            window.record(ok, now);
            seen.push({ at: now, ok });
          }
          // The window holds the current slot and the nine before it.
          const oldest = Math.floor(now / 1_000) * 1_000 - 9_000;
          const inWindow = seen.filter((c) => c.at >= oldest);
          expect(window.counts(now)).toEqual({
            requests: inWindow.length,
            failures: inWindow.filter((c) => !c.ok).length,
          });
        },
      ),
    );
  });
});
