import { describe, expect, it } from "vitest";
import { inputView, outputView, toolCallView } from "../text-view.ts";
import { createPiiRedactionValidator } from "./pii-redaction.ts";

const config = {
  kind: "pii_redaction",
  priority: 100,
  emails: true,
  phones: true,
  apiKeys: true,
  action: "redact",
} as const;

const KEY = "sk-proj-Abcdefghijklmnopqrstuv0123456789";

describe("pii_redaction", () => {
  it("approves text with nothing to redact", () => {
    expect(createPiiRedactionValidator(config, outputView).check("nothing here")).toEqual({
      verdict: "approve",
    });
  });

  it("redacts e-mails, phones and keys, and says how many by label", () => {
    const validator = createPiiRedactionValidator(config, outputView);

    expect(validator.modifies).toBe(true);
    expect(validator.check(`mail a@b.com or c@d.org, call 555-123-4567, key ${KEY}`)).toEqual({
      verdict: "modify",
      value:
        "mail [redacted:email] or [redacted:email], call [redacted:phone], key [redacted:api_key]",
      reason: "redacted 1 api_key, 2 email, 1 phone",
    });
  });

  it("redacts only the groups switched on", () => {
    const keysOnly = createPiiRedactionValidator(
      { ...config, emails: false, phones: false },
      outputView,
    );

    expect(keysOnly.check(`a@b.com 555-123-4567 ${KEY}`)).toMatchObject({
      value: "a@b.com 555-123-4567 [redacted:api_key]",
    });
  });

  it("rejects without echoing what it found when the action is reject", () => {
    const validator = createPiiRedactionValidator({ ...config, action: "reject" }, inputView);

    const verdict = validator.check(`reach me at jane.doe@example.com`);

    expect(validator.modifies).toBe(false);
    expect(verdict).toEqual({ verdict: "reject", reason: "the input contains 1 email" });
  });

  it("redacts message contents and keeps roles", () => {
    expect(
      createPiiRedactionValidator(config, inputView).check([
        { role: "user", content: "I am bob@example.com" },
        { role: "assistant", content: "Hello" },
      ]),
    ).toMatchObject({
      value: [
        { role: "user", content: "I am [redacted:email]" },
        { role: "assistant", content: "Hello" },
      ],
    });
  });

  it("redacts string values of tool arguments", () => {
    expect(
      createPiiRedactionValidator(config, toolCallView).check({
        tool: "crm",
        arguments: { contact: { email: "x@y.io" }, count: 2 },
      }),
    ).toMatchObject({
      verdict: "modify",
      value: { tool: "crm", arguments: { contact: { email: "[redacted:email]" }, count: 2 } },
    });
  });
});
