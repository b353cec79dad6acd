import { PatinoxError } from "@patinox/contracts";

/** Options of {@link RunAbort}. */
export interface RunAbortOptions {
  /** The caller's deadline, from when Execute received the request. */
  readonly timeoutMs?: number | undefined;
  /** Aborts when the service shuts down past its deadline. */
  readonly shutdown?: AbortSignal;
}

/**
 * The one signal of a run, handed to every model and tool call. Whatever stops the run first
 * (the caller's deadline, a cancel request, shutdown) aborts it with a {@link PatinoxError}
 * as the reason, so whoever catches the abort knows which it was.
 */
export class RunAbort implements Disposable {
  readonly #controller = new AbortController();
  readonly #timer: NodeJS.Timeout | undefined;
  readonly #shutdown: AbortSignal | undefined;
  readonly #onShutdown = () =>
    this.#abort(
      new PatinoxError("unavailable", "execute shut down before the run finished; retry it", {
        retryAfterMs: 1_000,
      }),
    );

  constructor(options: RunAbortOptions = {}) {
    const { timeoutMs, shutdown } = options;
    if (timeoutMs !== undefined) {
      this.#timer = setTimeout(
        () =>
          this.#abort(
            new PatinoxError(
              "deadline_exceeded",
              `the run did not finish within its deadline of ${timeoutMs} ms`,
              { details: { timeoutMs } },
            ),
          ),
        timeoutMs,
      );
    }
    this.#shutdown = shutdown;
    if (shutdown?.aborted) this.#onShutdown();
    else shutdown?.addEventListener("abort", this.#onShutdown, { once: true });
  }

  /** Aborted when the run must stop; its reason is a {@link PatinoxError}. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** Why the run was stopped, if it was. */
  get reason(): PatinoxError | undefined {
    const reason: unknown = this.#controller.signal.reason;
    return this.#controller.signal.aborted && reason instanceof PatinoxError ? reason : undefined;
  }

  /** Cancels the run on request (`<prefix>.runs.<runId>.cancel`). */
  cancel(why?: string): void {
    this.#abort(
      new PatinoxError(
        "cancelled",
        why ? `the run was cancelled: ${why}` : "the run was cancelled",
      ),
    );
  }

  /** Stops the deadline timer and the shutdown listener; the run is over. */
  [Symbol.dispose](): void {
    clearTimeout(this.#timer);
    this.#shutdown?.removeEventListener("abort", this.#onShutdown);
  }

  #abort(reason: PatinoxError): void {
    // The first reason wins: a cancel after the deadline does not rewrite why the run stopped.
    if (!this.#controller.signal.aborted) this.#controller.abort(reason);
  }
}
