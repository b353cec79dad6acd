import type { ValidatorStage, ValidatorVerdict } from "@patinox/contracts";

/**
 * One validator's verdict in a pipeline run, for telemetry (`validator.verdict` events) and
 * logs. It holds names, numbers and the validator's reason, never the value checked.
 */
export interface VerdictRecord {
  /** The validator's name. */
  readonly validator: string;
  /** The validator's kind. */
  readonly kind: string;
  readonly stage: ValidatorStage;
  readonly verdict: ValidatorVerdict;
  /** How long the check took, in milliseconds (fractional). */
  readonly durationMs: number;
  /** Why, for every verdict but `approve`; at most {@link MAX_REASON_LENGTH} characters. */
  readonly reason?: string;
}

/** Longest reason kept in a trace or an outcome: the limit of a `validator.verdict` event. */
export const MAX_REASON_LENGTH = 500;

interface OutcomeBase {
  /** The stage that ran. */
  readonly stage: ValidatorStage;
  /** Each validator that ran, in the order it ran. */
  readonly trace: readonly VerdictRecord[];
}

/** Every validator approved: `value` is the value given. */
export interface Approved<T> extends OutcomeBase {
  readonly verdict: "approve";
  readonly value: T;
}

/** No validator objected and at least one modified the value: use `value` from here on. */
export interface Modified<T> extends OutcomeBase {
  readonly verdict: "modify";
  readonly value: T;
}

/** A validator refused the value; the validators after it did not run. */
export interface Rejected extends OutcomeBase {
  readonly verdict: "reject";
  /** The validator that refused. */
  readonly validator: string;
  /** Why; never the user's content. */
  readonly reason: string;
  /** What a validator threw, when the rejection is the pipeline failing closed; for logs only. */
  readonly cause?: unknown;
}

/** A validator asks for the model to try again; the validators after it did not run. */
export interface RetryRequested extends OutcomeBase {
  readonly verdict: "retry";
  /** The validator that asked. */
  readonly validator: string;
  /** Why; never the content. */
  readonly reason: string;
  /** What to tell the model; may quote the model's output, so it goes to the model only. */
  readonly feedback: string;
}

/** What a stage decided about a value: the final verdict and the trace that led to it. */
export type StageOutcome<T> = Approved<T> | Modified<T> | Rejected | RetryRequested;

/** A stage outcome that lets the value through (`approve` or `modify`). */
export type Passed<T> = Approved<T> | Modified<T>;

/** Whether the outcome lets the value through; its `value` is then the one to use. */
export function passed<T>(outcome: StageOutcome<T>): outcome is Passed<T> {
  return outcome.verdict === "approve" || outcome.verdict === "modify";
}
