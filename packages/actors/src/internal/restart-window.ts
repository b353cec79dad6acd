/**
 * The restart intensity of a supervisor: at most `maxRestarts` restarts in any sliding window of
 * `withinMs`. Beyond that, restarting is not helping and the failure is escalated.
 */
export class RestartWindow {
  readonly #maxRestarts: number;
  readonly #withinMs: number;
  #times: number[] = [];

  constructor(maxRestarts: number, withinMs: number) {
    this.#maxRestarts = maxRestarts;
    this.#withinMs = withinMs;
  }

  /** Records a restart at `now`, or returns false if it would exceed the intensity. */
  admit(now: number): boolean {
    this.#times = this.#times.filter((time) => now - time < this.#withinMs);
    if (this.#times.length >= this.#maxRestarts) return false;
    this.#times.push(now);
    return true;
  }

  /** Forgets past restarts, for a supervisor that is itself restarted fresh. */
  reset(): void {
    this.#times = [];
  }
}
