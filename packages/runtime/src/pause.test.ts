import { describe, expect, it } from "vitest";
import { pause } from "./pause.ts";

describe("pause", () => {
  it("waits the time when nothing aborts", async () => {
    const started = performance.now();
    await pause(30, new AbortController().signal);
    expect(performance.now() - started).toBeGreaterThanOrEqual(25);
  });

  it("resolves as soon as the signal aborts, and at once when it already has", async () => {
    const controller = new AbortController();
    const started = performance.now();
    const waiting = pause(10_000, controller.signal);
    controller.abort();
    await waiting;
    await pause(10_000, controller.signal);
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});
