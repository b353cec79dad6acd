import { setImmediate } from "node:timers/promises";
import type { Clock } from "../clock.js";

/**
 * A clock for tests: time moves only when the test calls `advance`, and `sleep` records the
 * requested delay and resolves on the next turn of the event loop, so backoff costs nothing.
 */
export class InstantClock implements Clock {
  /** Every delay passed to `sleep`, in call order. */
  readonly sleeps: number[] = [];
  #time = 0;

  now(): number {
    return this.#time;
  }

  advance(ms: number): void {
    this.#time += ms;
  }

  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeps.push(ms);
    signal?.throwIfAborted();
    await setImmediate();
    signal?.throwIfAborted();
  }
}
