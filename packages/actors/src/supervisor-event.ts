import type { SupervisorGaveUp } from "./errors.js";

/**
 * One decision or observation of a supervisor, handed to `onEvent`. `supervisor` and `child` are
 * paths. Events describe direct children only; a child supervisor reports its own children.
 */
export type SupervisorEvent =
  /** A child (re)started and is running. */
  | { readonly type: "child-started"; readonly supervisor: string; readonly child: string }
  /** A child crashed, failed to start, or (a child supervisor) gave up. */
  | {
      readonly type: "child-failed";
      readonly supervisor: string;
      readonly child: string;
      readonly error: unknown;
    }
  /** A child will be started again after `delayMs`; `attempt` counts consecutive restarts. */
  | {
      readonly type: "child-restarting";
      readonly supervisor: string;
      readonly child: string;
      readonly delayMs: number;
      readonly attempt: number;
    }
  /** The supervisor exceeded its restart intensity and stopped its children. */
  | { readonly type: "gave-up"; readonly supervisor: string; readonly error: SupervisorGaveUp }
  /** A child's incarnation ended; `error` is set when its `stop` hook threw. */
  | {
      readonly type: "child-stopped";
      readonly supervisor: string;
      readonly child: string;
      readonly error?: unknown;
    };

/** Counts of one supervisor's own decisions (not those of child supervisors). */
export interface SupervisorStats {
  /** Child failures seen, including those seen while already stopping or restarting. */
  readonly failures: number;
  /** Restart decisions; a one-for-all restart of many children counts once, as intensity does. */
  readonly restarts: number;
  /** Times this supervisor gave up. */
  readonly gaveUp: number;
}

/**
 * Lifecycle state in a status tree. `restarting` covers the backoff wait; `failed` is a
 * supervisor that gave up.
 */
export type SupervisionState = "running" | "restarting" | "stopped" | "failed";

/** A node of the supervision tree as `status()` reports it, for health checks and debugging. */
export interface SupervisionStatus {
  readonly name: string;
  readonly kind: "supervisor" | "actor";
  readonly state: SupervisionState;
  /** Times the parent restarted this node. */
  readonly restarts: number;
  /** Present on supervisors, in start order. */
  readonly children?: readonly SupervisionStatus[];
}
