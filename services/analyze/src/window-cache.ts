import type { MetricWindow } from "@patinox/contracts";

/**
 * The metric windows Analyze holds in memory, per agent, fed by the KV watch (which first
 * replays every current value, so a new incarnation starts complete). Windows older than the
 * longest span any detector looks at are dropped.
 */
export class WindowCache {
  readonly #byAgent = new Map<string, Map<number, MetricWindow>>();

  /** Stores a window (a newer revision of the same window replaces it). */
  put(window: MetricWindow): void {
    let windows = this.#byAgent.get(window.agent);
    if (windows === undefined) {
      windows = new Map();
      this.#byAgent.set(window.agent, windows);
    }
    windows.set(window.windowStart, window);
  }

  /** Forgets a deleted or purged window, by its key `metrics.<agent>.<windowStart>`. */
  deleteKey(key: string): string | undefined {
    const [, agent, start] = key.split(".");
    if (agent === undefined || start === undefined) return undefined;
    this.#byAgent.get(agent)?.delete(Number(start));
    return agent;
  }

  /** The agents with windows. */
  agents(): string[] {
    return [...this.#byAgent.keys()].filter((a) => (this.#byAgent.get(a)?.size ?? 0) > 0);
  }

  /** One agent's windows, oldest first. */
  windowsOf(agent: string): MetricWindow[] {
    return [...(this.#byAgent.get(agent)?.values() ?? [])].sort(
      (a, b) => a.windowStart - b.windowStart,
    );
  }

  /** Drops windows that start more than `windows` of their own lengths before `now`. */
  prune(now: number, windows: number): void {
    for (const [agent, byStart] of this.#byAgent) {
      for (const [start, w] of byStart)
        if (start <= now - windows * w.windowMs) byStart.delete(start);
      if (byStart.size === 0) this.#byAgent.delete(agent);
    }
  }
}
