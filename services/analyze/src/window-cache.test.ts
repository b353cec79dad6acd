import { MetricWindow } from "@patinox/contracts";
import { describe, expect, it } from "vitest";
import { WindowCache } from "./window-cache.ts";

const W = 60_000;
const window = (agent: string, i: number, runs = 1) =>
  MetricWindow.parse({ v: 1, agent, windowStart: i * W, windowMs: W, runs, ok: runs });

describe("WindowCache", () => {
  it("keeps the newest revision of each window, per agent, oldest first", () => {
    const cache = new WindowCache();
    cache.put(window("a", 2));
    cache.put(window("a", 1));
    cache.put(window("a", 2, 7));
    cache.put(window("b", 1));
    expect(cache.agents().sort()).toEqual(["a", "b"]);
    expect(cache.windowsOf("a").map((w) => [w.windowStart, w.runs])).toEqual([
      [W, 1],
      [2 * W, 7],
    ]);
  });

  it("forgets a deleted window by its key and reports the agent", () => {
    const cache = new WindowCache();
    cache.put(window("a", 1));
    expect(cache.deleteKey(`metrics.a.${W}`)).toBe("a");
    expect(cache.windowsOf("a")).toEqual([]);
    expect(cache.agents()).toEqual([]);
    expect(cache.deleteKey("metrics")).toBeUndefined();
  });

  it("drops windows older than the span and agents left without windows", () => {
    const cache = new WindowCache();
    for (let i = 0; i < 10; i++) cache.put(window("a", i));
    cache.put(window("b", 0));
    cache.prune(10 * W, 4);
    expect(cache.windowsOf("a").map((w) => w.windowStart / W)).toEqual([7, 8, 9]);
    expect(cache.agents()).toEqual(["a"]);
  });
});
