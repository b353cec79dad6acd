import type { ValidatorStage } from "@patinox/contracts";
import {
  MAX_REASON_LENGTH,
  type Rejected,
  type RetryRequested,
  type StageOutcome,
  type VerdictRecord,
} from "./outcome.ts";
import type { Validator } from "./validator.ts";
import { type RejectVerdict, Verdict } from "./verdict.ts";

/** A monotonic clock in milliseconds; injected so tests can pin durations. */
export type Clock = () => number;

/** Options of a {@link ValidationPipeline}. */
export interface PipelineOptions {
  /**
   * Measures each validator's duration.
   * @default `performance.now`
   */
  readonly now?: Clock;
}

/**
 * Whether a stage can act on `retry`. At `input` there is nobody to ask again (the caller's
 * text is what it is), so a retry there counts as a rejection with the same reason; at `tool`
 * the feedback goes back to the model as the tool result, at `output` as a new turn.
 */
const RETRY_ALLOWED: Readonly<Record<ValidatorStage, boolean>> = Object.freeze({
  input: false,
  tool: true,
  output: true,
});

const EMPTY_TRACE: readonly VerdictRecord[] = Object.freeze([]);

const defaultClock: Clock = () => performance.now();

/** A rejection the pipeline made on a validator's behalf, with what it threw. */
interface FailedClosed extends RejectVerdict {
  readonly cause?: unknown;
}

/**
 * The validators of one stage, in ascending priority (ties keep the order given). `run`
 * threads each `modify` into the next validator and stops at the first `reject` or `retry`.
 *
 * Built once per agent definition version and shared by every run of it: it holds no
 * per-request state.
 */
export class ValidationPipeline<T> {
  /** The stage it runs at. */
  readonly stage: ValidatorStage;
  /** The validators, in the order they run. */
  readonly validators: readonly Validator<T>[];
  readonly #now: Clock;

  /** Orders `validators` by priority once, here, rather than on every run. */
  constructor(
    stage: ValidatorStage,
    validators: Iterable<Validator<T>>,
    options: PipelineOptions = {},
  ) {
    this.stage = stage;
    // Array.prototype.sort is stable, so equal priorities keep the definition's order.
    this.validators = Object.freeze([...validators].sort((a, b) => a.priority - b.priority));
    this.#now = options.now ?? defaultClock;
  }

  /** Runs the validators on `value` and returns the final verdict with the trace. */
  run(value: T): StageOutcome<T> {
    const stage = this.stage;
    if (this.validators.length === 0) {
      return { verdict: "approve", stage, value, trace: EMPTY_TRACE };
    }
    const trace: VerdictRecord[] = [];
    let current = value;
    let modified = false;
    for (const validator of this.validators) {
      const started = this.#now();
      const decision = this.#decide(validator, current);
      const durationMs = Math.max(0, this.#now() - started);
      const entry = {
        validator: validator.name,
        kind: validator.kind,
        stage,
        verdict: decision.verdict,
        durationMs,
      };
      if (decision.verdict === "approve") {
        trace.push(entry);
        continue;
      }
      const reason = clip(decision.reason);
      trace.push({ ...entry, reason });
      if (decision.verdict === "modify") {
        current = decision.value;
        modified = true;
        continue;
      }
      const stopped = { stage, trace, validator: validator.name, reason };
      if (decision.verdict === "retry") {
        return {
          ...stopped,
          verdict: "retry",
          feedback: decision.feedback,
        } satisfies RetryRequested;
      }
      const rejected: Rejected = { ...stopped, verdict: "reject" };
      return "cause" in decision ? { ...rejected, cause: decision.cause } : rejected;
    }
    return { verdict: modified ? "modify" : "approve", stage, value: current, trace };
  }

  /** One validator's verdict, with the pipeline's rules applied: it fails closed. */
  #decide(validator: Validator<T>, value: T): Verdict<T> | FailedClosed {
    let decision: Verdict<T>;
    try {
      decision = validator.check(value);
    } catch (cause) {
      // A guard that crashes must not wave the value through.
      return { ...Verdict.reject("the validator failed with an error"), cause };
    }
    switch (decision?.verdict) {
      case "approve":
        return decision;
      case "modify":
        return validator.modifies
          ? decision
          : Verdict.reject("the validator tried to modify the value but may not");
      case "retry":
        return RETRY_ALLOWED[this.stage] ? decision : Verdict.reject(decision.reason);
      case "reject":
        return decision;
      default:
        // Reachable from JavaScript or a cast: anything but a verdict is a refusal.
        return Verdict.reject("the validator returned no verdict");
    }
  }
}

function clip(reason: string): string {
  const text = String(reason);
  return text.length > MAX_REASON_LENGTH ? `${text.slice(0, MAX_REASON_LENGTH - 1)}…` : text;
}
