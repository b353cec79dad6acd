import { PatinoxError } from "@patinox/contracts";

/** The limits a gate applies; read on every entry, so a new definition version takes effect at once. */
export interface GateLimits {
  /** Runs in flight at once. */
  readonly maxConcurrency: number;
  /** Runs waiting for a slot before new ones are refused. */
  readonly maxQueue: number;
}

/** Leaves the gate, handing the slot to the next waiting run. Idempotent. */
export type GateRelease = () => void;

/** A monotonic clock in milliseconds. */
export type Clock = () => number;

interface Waiter {
  readonly admit: (release: GateRelease) => void;
}

/** Suggested wait before anyone has finished a run. */
const DEFAULT_RETRY_AFTER_MS = 1_000;
const MIN_RETRY_AFTER_MS = 100;
const MAX_RETRY_AFTER_MS = 30_000;
/** Weight of the newest run in the average duration. */
const SMOOTHING = 0.2;

/**
 * Per-agent admission: at most `maxConcurrency` runs at once and `maxQueue` waiting in arrival
 * order; beyond that a run is refused at once with `overloaded` and a `retryAfterMs` estimated
 * from how long runs take, instead of queueing without bound. A waiting run whose signal
 * aborts (deadline, cancel) leaves the queue with the signal's reason.
 */
export class ConcurrencyGate {
  readonly #agent: string;
  readonly #now: Clock;
  readonly #waiting: Waiter[] = [];
  #running = 0;
  #averageMs: number | undefined;

  constructor(agent: string, now: Clock = () => performance.now()) {
    this.#agent = agent;
    this.#now = now;
  }

  /** Runs holding a slot. */
  get running(): number {
    return this.#running;
  }

  /** Runs waiting for one. */
  get queued(): number {
    return this.#waiting.length;
  }

  /**
   * Takes a slot, waiting in the queue if there is room.
   * @throws PatinoxError `overloaded` when every slot and queue place is taken; the signal's
   *   reason when it aborts while waiting
   */
  async enter(limits: GateLimits, signal: AbortSignal): Promise<GateRelease> {
    if (signal.aborted) throw signal.reason;
    if (this.#running < limits.maxConcurrency) {
      this.#running++;
      return this.#release();
    }
    if (this.#waiting.length >= limits.maxQueue) throw this.#overloaded(limits);
    return await new Promise<GateRelease>((resolve, reject) => {
      const onAbort = () => {
        const index = this.#waiting.indexOf(waiter);
        if (index >= 0) this.#waiting.splice(index, 1);
        reject(signal.reason);
      };
      const waiter: Waiter = {
        admit: (release) => {
          signal.removeEventListener("abort", onAbort);
          resolve(release);
        },
      };
      signal.addEventListener("abort", onAbort, { once: true });
      this.#waiting.push(waiter);
    });
  }

  #release(): GateRelease {
    const started = this.#now();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const took = Math.max(0, this.#now() - started);
      this.#averageMs =
        this.#averageMs === undefined
          ? took
          : this.#averageMs + SMOOTHING * (took - this.#averageMs);
      // The slot passes straight to the next waiter, so a new arrival cannot jump the queue.
      const next = this.#waiting.shift();
      if (next === undefined) this.#running--;
      else next.admit(this.#release());
    };
  }

  #overloaded(limits: GateLimits): PatinoxError {
    // Roughly when a place frees up: one average run per round of slots ahead of the caller.
    const rounds = Math.ceil((this.#waiting.length + 1) / limits.maxConcurrency);
    const estimate =
      this.#averageMs === undefined ? DEFAULT_RETRY_AFTER_MS : this.#averageMs * rounds;
    const retryAfterMs = Math.round(
      Math.min(MAX_RETRY_AFTER_MS, Math.max(MIN_RETRY_AFTER_MS, estimate)),
    );
    return new PatinoxError(
      "overloaded",
      `agent ${this.#agent} is at capacity (${this.#running} running, ${this.#waiting.length} queued)`,
      {
        retryAfterMs,
        details: { agent: this.#agent, running: this.#running, queued: this.#waiting.length },
      },
    );
  }
}

/** One {@link ConcurrencyGate} per agent, created on first use. */
export class AgentGates {
  readonly #gates = new Map<string, ConcurrencyGate>();
  readonly #now: Clock | undefined;

  constructor(now?: Clock) {
    this.#now = now;
  }

  /** The gate of `agent`. */
  of(agent: string): ConcurrencyGate {
    let gate = this.#gates.get(agent);
    if (gate === undefined) {
      gate = new ConcurrencyGate(agent, this.#now);
      this.#gates.set(agent, gate);
    }
    return gate;
  }
}
