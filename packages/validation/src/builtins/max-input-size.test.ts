import { describe, expect, it } from "vitest";
import { inputView, outputView, toolCallView } from "../text-view.ts";
import { createMaxInputSizeValidator } from "./max-input-size.ts";

const config = { kind: "max_input_size", priority: 10, maxBytes: 8 } as const;

describe("max_input_size", () => {
  it("approves a value at the limit and rejects one a byte over", () => {
    const validator = createMaxInputSizeValidator(config, outputView);

    expect(validator.check("12345678")).toEqual({ verdict: "approve" });
    expect(validator.check("123456789")).toEqual({
      verdict: "reject",
      reason: "the output is 9 bytes, over the limit of 8 bytes",
    });
  });

  it("counts UTF-8 bytes, not characters", () => {
    const validator = createMaxInputSizeValidator(config, inputView);

    // Four characters, eight bytes: at the limit.
    expect(validator.check("éééé").verdict).toBe("approve");
    // Three characters, nine bytes.
    expect(validator.check("漢字漢").verdict).toBe("reject");
  });

  it("adds up the contents of a conversation", () => {
    const validator = createMaxInputSizeValidator(config, inputView);

    expect(
      validator.check([
        { role: "user", content: "12345" },
        { role: "assistant", content: "6789" },
      ]),
    ).toMatchObject({
      verdict: "reject",
      reason: "the input is 9 bytes, over the limit of 8 bytes",
    });
  });

  it("measures tool arguments as JSON and fails closed when they cannot be measured", () => {
    const validator = createMaxInputSizeValidator(config, toolCallView);
    let deep: import("@patinox/contracts").JsonValue = 1;
    for (let i = 0; i < 100_000; i += 1) deep = [deep];

    expect(validator.check({ tool: "t", arguments: { a: 1 } }).verdict).toBe("approve");
    expect(validator.check({ tool: "t", arguments: { abc: "d" } }).verdict).toBe("reject");
    expect(validator.check({ tool: "t", arguments: deep })).toMatchObject({
      verdict: "reject",
      reason: "the tool call is too large to measure, over the limit of 8 bytes",
    });
  });

  it("takes its name from the config, or its kind", () => {
    expect(createMaxInputSizeValidator(config, outputView)).toMatchObject({
      name: "max_input_size",
      kind: "max_input_size",
      priority: 10,
      modifies: false,
    });
    expect(createMaxInputSizeValidator({ ...config, name: "size" }, outputView).name).toBe("size");
  });
});
