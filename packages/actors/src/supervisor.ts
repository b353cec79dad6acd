import type { ActorDefinition, ActorRef } from "./actor.js";
import type { Clock } from "./clock.js";
import type { SupervisorGaveUp } from "./errors.js";
import { SupervisorNode } from "./internal/supervisor-node.js";
import type { SupervisionStatus, SupervisorEvent, SupervisorStats } from "./supervisor-event.js";

/**
 * Which children a supervisor restarts when one fails.
 *
 * - `one-for-one`: only the failed child; its siblings keep running with their state.
 * - `one-for-all`: every child, stopped in reverse start order and started again in start
 *   order; for children that cannot work with a sibling's fresh state.
 */
export type RestartStrategy = "one-for-one" | "one-for-all";

/** How many restarts a supervisor may make before it gives up. */
export interface RestartIntensity {
  /** Restarts allowed within the window; one more failure makes the supervisor give up. */
  readonly maxRestarts: number;
  /** Length of the sliding window, in milliseconds. Also how long a child must run to count as stable. */
  readonly withinMs: number;
}

/**
 * The wait before restarting a child: `min(maxMs, initialMs * factor^(n-1))` for its `n`-th
 * consecutive restart, shortened by a random part of up to `jitter` of itself. `n` goes back to 1
 * once the child has run longer than `intensity.withinMs`.
 */
export interface BackoffOptions {
  /** Delay before the first restart, in milliseconds. */
  readonly initialMs: number;
  /** Upper bound of the delay, in milliseconds. */
  readonly maxMs: number;
  /**
   * Growth per consecutive restart.
   * @default 2
   */
  readonly factor?: number;
  /**
   * Fraction of the delay that is random, from 0 (none) to 1 (anywhere between 0 and the delay).
   * @default 0.2
   */
  readonly jitter?: number;
}

/** Options for {@link createSupervisor}. */
export interface SupervisorOptions {
  /** The supervisor's name; the root's name starts every path below it. */
  readonly name: string;
  /**
   * Which children to restart when one fails; see {@link RestartStrategy}.
   * @default "one-for-one"
   */
  readonly strategy?: RestartStrategy;
  /**
   * Restart budget; exceeding it makes the supervisor give up and escalate.
   * @default { maxRestarts: 5, withinMs: 10_000 }
   */
  readonly intensity?: RestartIntensity;
  /**
   * Wait between consecutive restarts of the same child; see {@link BackoffOptions}.
   * @default { initialMs: 100, maxMs: 5_000, factor: 2, jitter: 0.2 }
   */
  readonly backoff?: BackoffOptions;
  /**
   * Source of time for backoff and the intensity window.
   * @default systemClock
   */
  readonly clock?: Clock;
  /**
   * Uniform random numbers in [0, 1) for jitter; inject one to make delays predictable.
   * @default Math.random
   */
  readonly random?: () => number;
  /**
   * Receives every decision, for logs and metrics. Errors it throws are swallowed: telemetry
   * must not break supervision.
   * @default no-op
   */
  readonly onEvent?: (event: SupervisorEvent) => void;
  /**
   * Called when this supervisor, as the root, gives up, after all its children have stopped.
   * The service host logs and exits with status 70 so the orchestrator restarts the process.
   * Not called on a supervisor that has a parent: the parent handles the failure instead.
   * @default no-op
   */
  readonly onGiveUp?: (error: SupervisorGaveUp) => void;
}

/**
 * Starts actors and child supervisors, restarts them when they fail, and gives up when they
 * fail too often. `await using` stops it.
 */
export interface Supervisor extends AsyncDisposable {
  /** The supervisor's name. */
  readonly name: string;
  /** Names from the root supervisor down to this one, joined by `/`. */
  readonly path: string;
  /**
   * Starts an actor under this supervisor. Rejects if the actor's `start` throws (the actor is
   * then not supervised) or with `ActorStopped` if the supervisor is stopped.
   */
  spawn<M>(definition: ActorDefinition<M>): Promise<ActorRef<M>>;
  /**
   * Adopts a running supervisor as a child. Its giving up then counts as a failure of a child
   * here, and restarting it starts all its children fresh.
   */
  supervise(child: Supervisor): void;
  /** Counts of this supervisor's decisions so far. */
  stats(): SupervisorStats;
  /** The tree below this supervisor, for readiness checks and debugging. */
  status(): SupervisionStatus;
  /** True when this supervisor and every descendant is running. */
  isRunning(): boolean;
  /**
   * Stops children in reverse start order: each actor finishes the message in progress, its
   * `stop` hook runs, and the messages left in its mailbox are dropped. Idempotent.
   */
  stop(): Promise<void>;
}

/** Creates a running supervisor with no children yet. */
export function createSupervisor(options: SupervisorOptions): Supervisor {
  return new SupervisorNode(options);
}
