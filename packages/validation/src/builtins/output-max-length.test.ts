import { describe, expect, it } from "vitest";
import { createOutputMaxLengthValidator, type OutputMaxLengthConfig } from "./output-max-length.ts";

const config: OutputMaxLengthConfig = {
  kind: "output_max_length",
  priority: 100,
  maxChars: 5,
  onViolation: "retry",
};

describe("output_max_length", () => {
  it("approves an output at the limit", () => {
    expect(createOutputMaxLengthValidator(config).check("12345")).toEqual({ verdict: "approve" });
  });

  it("asks for a shorter answer by default, with feedback naming the limit", () => {
    expect(createOutputMaxLengthValidator(config).check("123456")).toEqual({
      verdict: "retry",
      reason: "the output is 6 characters, over the limit of 5",
      feedback:
        "Your reply was 6 characters long, over the limit of 5. Answer again in at most 5 characters.",
    });
  });

  it("rejects instead when configured to", () => {
    expect(
      createOutputMaxLengthValidator({ ...config, onViolation: "reject" }).check("123456"),
    ).toEqual({ verdict: "reject", reason: "the output is 6 characters, over the limit of 5" });
  });

  it("counts code points: five emoji are five characters", () => {
    const validator = createOutputMaxLengthValidator(config);

    expect(validator.check("😀😀😀😀😀").verdict).toBe("approve");
    expect(validator.check("😀😀😀😀😀😀").verdict).toBe("retry");
  });

  it("counts a lone surrogate as one character", () => {
    expect(createOutputMaxLengthValidator(config).check("\ud800\ud800abc").verdict).toBe("approve");
  });
});
