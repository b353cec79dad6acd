import type { SupervisionStatus } from "../supervisor-event.js";

/** How stopping a child went: it was not running, it stopped, or its `stop` hook threw. */
export type ChildStopOutcome =
  | { readonly outcome: "idle" }
  | { readonly outcome: "stopped" }
  | { readonly outcome: "hook-failed"; readonly error: unknown };

/** What a supervisor needs from a child, whether an actor or a supervisor. */
export interface SupervisedChild {
  readonly name: string;
  readonly path: string;
  /**
   * Starts a fresh incarnation; rejects when it cannot start. Calls `started` synchronously once
   * running and before it can fail again, so the supervisor's books are never behind a crash.
   */
  start(started: () => void): Promise<void>;
  /** Ends the current incarnation but keeps the mailboxes, ready for `start` again. */
  halt(): Promise<ChildStopOutcome>;
  /** Ends the current incarnation and everything that would outlive it, for good. */
  terminate(): Promise<ChildStopOutcome>;
  status(): SupervisionStatus;
  isRunning(): boolean;
}
