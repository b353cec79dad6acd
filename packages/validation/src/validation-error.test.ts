import { PatinoxError } from "@patinox/contracts";
import { describe, expect, it } from "vitest";
import type { Rejected, RetryRequested } from "./outcome.ts";
import { validationRejected } from "./validation-error.ts";

describe("validationRejected", () => {
  it("turns a rejection into validation_rejected with the validator and stage", () => {
    const outcome: Rejected = {
      verdict: "reject",
      stage: "input",
      validator: "no-secrets",
      reason: "the input matches deny pattern patterns[0]",
      trace: [],
    };

    const error = validationRejected(outcome);

    expect(error).toBeInstanceOf(PatinoxError);
    expect(error.code).toBe("validation_rejected");
    expect(error.details).toEqual({ validator: "no-secrets", stage: "input" });
    expect(error.message).toBe(
      'the input was rejected by validator "no-secrets": the input matches deny pattern patterns[0]',
    );
    expect(error.toWire()).toMatchObject({ code: "validation_rejected", retryable: false });
  });

  it("keeps what a failing validator threw as the cause", () => {
    const cause = new Error("bug");

    const error = validationRejected({
      verdict: "reject",
      stage: "tool",
      validator: "custom",
      reason: "the validator failed with an error",
      trace: [],
      cause,
    });

    expect(error.cause).toBe(cause);
    expect(error.message).toContain("the tool call was rejected");
  });

  it("leaves a retry's feedback out of the error, since it may quote the model", () => {
    const outcome: RetryRequested = {
      verdict: "retry",
      stage: "output",
      validator: "output_json_schema",
      reason: "the output is not valid JSON",
      feedback: "at /secret-key: must be number",
      trace: [],
    };

    const error = validationRejected(outcome);

    expect(error.message).not.toContain("secret-key");
    expect(JSON.stringify(error.toWire())).not.toContain("secret-key");
  });
});
