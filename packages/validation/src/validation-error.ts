import { PatinoxError, type ValidatorStage } from "@patinox/contracts";
import type { Rejected, RetryRequested } from "./outcome.ts";

const STAGE_NOUN: Readonly<Record<ValidatorStage, string>> = Object.freeze({
  input: "input",
  tool: "tool call",
  output: "output",
});

/**
 * The error a caller gets when a stage refused a value: `validation_rejected`, with the
 * validator and stage in `details`. Use it for a rejection, and for a retry that can no longer
 * be retried (the run is out of steps). The message holds the validator's reason, which never
 * quotes user content; a retry's feedback is left out, since it may quote the model's output.
 */
export function validationRejected(outcome: Rejected | RetryRequested): PatinoxError {
  const { stage, validator, reason } = outcome;
  const details = { validator, stage };
  const message = `the ${STAGE_NOUN[stage]} was rejected by validator "${validator}": ${reason}`;
  return outcome.verdict === "reject" && "cause" in outcome
    ? new PatinoxError("validation_rejected", message, { details, cause: outcome.cause })
    : new PatinoxError("validation_rejected", message, { details });
}
