/**
 * Counts work in progress so shutdown can wait for it: every request an endpoint accepts is
 * tracked from receipt to reply.
 */
export class InFlight {
  #count = 0;
  #idle: Array<() => void> = [];

  /** Work currently in progress. */
  get count(): number {
    return this.#count;
  }

  /** Runs `work`, counting it while it runs. */
  async track<T>(work: () => Promise<T>): Promise<T> {
    this.#count++;
    try {
      return await work();
    } finally {
      this.#count--;
      if (this.#count === 0) for (const wake of this.#idle.splice(0)) wake();
    }
  }

  /** Resolves `true` once nothing is in flight, or `false` when `timeoutMs` passes first. */
  async idle(timeoutMs: number): Promise<boolean> {
    if (this.#count === 0) return true;
    return await new Promise<boolean>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.#idle.splice(this.#idle.indexOf(wake), 1);
        resolve(false);
      }, timeoutMs);
      this.#idle.push(wake);
    });
  }
}
