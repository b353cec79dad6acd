import type { ActorRef } from "./actor.js";
import { type Clock, systemClock } from "./clock.js";
import { AskTimeout } from "./errors.js";

/** Options for {@link ask}. */
export interface AskOptions {
  /**
   * How long to wait for a reply before rejecting with {@link AskTimeout}.
   * @default 5_000
   */
  readonly timeoutMs?: number;
  /** Aborting it rejects the ask with the signal's reason. */
  readonly signal?: AbortSignal;
  /**
   * Source of time for the timeout.
   * @default systemClock
   */
  readonly clock?: Clock;
}

/**
 * Request/response on top of `tell`: `build` wraps the reply callbacks into a message, and the
 * actor calls `reply` or `fail` when done. Rejects with {@link AskTimeout} after `timeoutMs`, and
 * with whatever `tell` throws (`MailboxFull`, `ActorStopped`) at once, so a full mailbox sheds the
 * request instead of queueing it. Only the first `reply` or `fail` counts.
 */
export function ask<M, R>(
  ref: ActorRef<M>,
  build: (reply: (value: R) => void, fail: (error: unknown) => void) => M,
  options: AskOptions = {},
): Promise<R> {
  const { timeoutMs = 5_000, signal, clock = systemClock } = options;
  return new Promise<R>((resolve, reject) => {
    const timer = new AbortController();
    let settled = false;
    const settle = (finish: () => void): void => {
      if (settled) return;
      settled = true;
      timer.abort();
      signal?.removeEventListener("abort", aborted);
      finish();
    };
    const aborted = (): void => settle(() => reject(signal?.reason));
    if (signal?.aborted) return aborted();
    signal?.addEventListener("abort", aborted);
    clock.sleep(timeoutMs, timer.signal).then(
      () => settle(() => reject(new AskTimeout({ actor: ref.path, timeoutMs }))),
      () => {}, // cancelled because the ask settled first
    );
    try {
      ref.tell(
        build(
          (value) => settle(() => resolve(value)),
          (error) => settle(() => reject(error)),
        ),
      );
    } catch (error) {
      settle(() => reject(error));
    }
  });
}
