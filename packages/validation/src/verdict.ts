/** The validator approves the value as it is. */
export interface ApproveVerdict {
  readonly verdict: "approve";
}

/**
 * The validator lets the value through in a changed form (a redaction). Only a validator that
 * declares `modifies` may return it; the pipeline hands `value` to the validators after it.
 */
export interface ModifyVerdict<T> {
  readonly verdict: "modify";
  /** The value the later validators and the caller see instead. */
  readonly value: T;
  /** What was changed, in the validator's words; never the user's content. */
  readonly reason: string;
}

/** The validator refuses the value; the pipeline stops here. */
export interface RejectVerdict {
  readonly verdict: "reject";
  /** Why, in the validator's words; never the user's content (it reaches telemetry and callers). */
  readonly reason: string;
}

/**
 * The value is wrong but the model may fix it (an output that breaks its JSON Schema): the
 * caller asks the model again with `feedback`. The pipeline stops here.
 */
export interface RetryVerdict {
  readonly verdict: "retry";
  /** Why, in the validator's words; never the content (it reaches telemetry). */
  readonly reason: string;
  /**
   * What to tell the model so its next attempt passes. It may quote the model's own output
   * (schema paths), so it goes back to the model only: never into telemetry or errors.
   */
  readonly feedback: string;
}

/** What one validator decides about one value. */
export type Verdict<T> = ApproveVerdict | ModifyVerdict<T> | RejectVerdict | RetryVerdict;

// One shared object: approving is the common case and allocates nothing.
const APPROVE: ApproveVerdict = Object.freeze({ verdict: "approve" });

/** Builders of {@link Verdict}s, so validators never spell the object shapes out. */
export const Verdict = {
  /** Lets the value through unchanged. */
  approve: (): ApproveVerdict => APPROVE,
  /** Lets `value` through instead of the value given. */
  modify: <T>(value: T, reason: string): ModifyVerdict<T> =>
    Object.freeze({ verdict: "modify", value, reason }),
  /** Refuses the value. */
  reject: (reason: string): RejectVerdict => Object.freeze({ verdict: "reject", reason }),
  /** Asks for another attempt, telling the model what to fix. */
  retry: (reason: string, feedback: string): RetryVerdict =>
    Object.freeze({ verdict: "retry", reason, feedback }),
} as const;
