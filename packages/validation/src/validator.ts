import type { Verdict } from "./verdict.ts";

/**
 * One check of a pipeline: a pure, synchronous function of the value.
 *
 * Synchronous on purpose: every built-in is CPU-bound, and a validator that did I/O (a
 * moderation API) would need a deadline, cancellation and a circuit breaker, which belong to
 * Execute's recovery layer, not to a check that runs on every step. Validators are built once
 * per agent definition version and shared by concurrent runs, so `check` must keep no state
 * between calls.
 */
export interface Validator<T> {
  /** Names the validator in traces, telemetry, errors and evolution paths. */
  readonly name: string;
  /** What kind of check it is (a `ValidatorKind` for the built-ins). */
  readonly kind: string;
  /** Validators of a stage run in ascending priority; ties keep their configured order. */
  readonly priority: number;
  /**
   * Whether it may return `modify`. A `modify` from a validator that does not declare it is
   * treated as a bug and fails closed (a rejection).
   */
  readonly modifies: boolean;
  /**
   * Decides about `value`. It should not throw; if it does, the pipeline rejects the value
   * (fails closed) and keeps the error as the outcome's `cause`.
   */
  check(value: T): Verdict<T>;
}
