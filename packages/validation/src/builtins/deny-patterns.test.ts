import { describe, expect, it } from "vitest";
import { CANARY } from "../test-support/definitions.ts";
import { inputView, outputView, toolCallView } from "../text-view.ts";
import { createDenyPatternsValidator, type DenyPatternsConfig } from "./deny-patterns.ts";

const config: DenyPatternsConfig = {
  kind: "deny_patterns",
  priority: 100,
  patterns: ["\\bpassword\\b", "canary-[0-9a-f]+", "^drop table"],
  caseInsensitive: true,
};

describe("deny_patterns", () => {
  it("approves text that matches no pattern", () => {
    expect(createDenyPatternsValidator(config, outputView).check("all fine here")).toEqual({
      verdict: "approve",
    });
  });

  it("rejects naming the pattern by index, never the text or the pattern source", () => {
    const verdict = createDenyPatternsValidator(config, inputView).check(`my id is ${CANARY}`);

    expect(verdict).toEqual({
      verdict: "reject",
      reason: "the input matches deny pattern patterns[1]",
    });
    expect(JSON.stringify(verdict)).not.toContain("canary");
  });

  it("reports the first pattern in configuration order", () => {
    const verdict = createDenyPatternsValidator(config, outputView).check(
      `${CANARY} and my PASSWORD`,
    );

    expect(verdict).toMatchObject({ reason: "the output matches deny pattern patterns[0]" });
  });

  it("is case-insensitive by default and case-sensitive when asked", () => {
    const sensitive = createDenyPatternsValidator(
      { ...config, caseInsensitive: false },
      outputView,
    );

    expect(createDenyPatternsValidator(config, outputView).check("Password").verdict).toBe(
      "reject",
    );
    expect(sensitive.check("Password").verdict).toBe("approve");
    expect(sensitive.check("password").verdict).toBe("reject");
  });

  it("checks each message on its own, so ^ anchors at each message", () => {
    const validator = createDenyPatternsValidator(config, inputView);

    expect(
      validator.check([
        { role: "user", content: "hello" },
        { role: "user", content: "DROP TABLE users" },
      ]),
    ).toMatchObject({ verdict: "reject", reason: "the input matches deny pattern patterns[2]" });
  });

  it("checks tool argument keys as well as values", () => {
    const validator = createDenyPatternsValidator(config, toolCallView);

    expect(validator.check({ tool: "t", arguments: { password: "x" } }).verdict).toBe("reject");
    expect(validator.check({ tool: "t", arguments: { q: ["ok", { n: 1 }] } }).verdict).toBe(
      "approve",
    );
  });

  it("gives the same answer on every call: the compiled patterns keep no state", () => {
    const validator = createDenyPatternsValidator(config, outputView);

    for (let i = 0; i < 5; i += 1) expect(validator.check("password").verdict).toBe("reject");
  });

  it("uses Unicode mode, so \\p{…} classes work", () => {
    const validator = createDenyPatternsValidator(
      { ...config, patterns: ["\\p{Script=Cyrillic}"] },
      outputView,
    );

    expect(validator.check("привет").verdict).toBe("reject");
    expect(validator.check("hello").verdict).toBe("approve");
  });

  it("throws at creation on a pattern that does not compile", () => {
    expect(() =>
      createDenyPatternsValidator({ ...config, patterns: ["(unclosed"] }, outputView),
    ).toThrow(SyntaxError);
  });
});
