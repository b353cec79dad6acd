import { setTimeout as delay } from "node:timers/promises";

/**
 * The source of time for everything in this package that waits or measures: restart backoff,
 * the restart-intensity window and `ask` timeouts. Tests inject their own so they never depend
 * on wall-clock timing.
 */
export interface Clock {
  /** Milliseconds since an arbitrary, fixed origin; only differences are meaningful. */
  now(): number;
  /**
   * Resolves after `ms` milliseconds. Rejects when `signal` aborts, so a cancelled wait never
   * resolves as if the time had passed.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/**
 * The real clock. `now` is monotonic within the process (`performance.now`), so a wall-clock
 * step from NTP cannot shrink or stretch a restart-intensity window.
 */
export const systemClock: Clock = {
  now: () => performance.timeOrigin + performance.now(),
  sleep: (ms, signal) => delay(ms, undefined, signal === undefined ? {} : { signal }),
};
